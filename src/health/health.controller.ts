import { Controller, Get, Header, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { NotReadyError } from '../errors/errors.js';
import { Readiness } from './readiness.js';

/** Kubernetes probes: outside authentication and rate limits, and cheap enough to call every few seconds. */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: Readiness,
  ) {}

  /** Liveness: the process serves HTTP. Nothing upstream, so an issuer outage never restarts pods. */
  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  liveness(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: the issuer's metadata and signing keys are fetched or fetchable, and we are not draining. */
  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  async readinessCheck(): Promise<HealthCheckResult> {
    try {
      return await this.health.check(this.readiness.checks());
    } catch (error) {
      if (error instanceof ServiceUnavailableException)
        throw new NotReadyError(error.getResponse() as HealthCheckResult);
      throw error;
    }
  }
}
