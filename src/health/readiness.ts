import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ProviderReadiness } from '../providers/provider-seam.js';
import { GracefulShutdown } from '../shutdown/graceful-shutdown.js';

/**
 * What /readyz checks: that we are not draining, then whatever the authorization provider checks
 * (its issuer's metadata and signing keys, the configuration's fit). An invalid configuration
 * stops the process before it listens.
 */
@Injectable()
export class Readiness {
  private readonly all: (() => PromiseLike<HealthIndicatorResult>)[];

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: GracefulShutdown,
    provider: ProviderReadiness,
  ) {
    this.all = [() => this.lifecycle(), ...provider.checks()];
  }

  checks(): (() => PromiseLike<HealthIndicatorResult>)[] {
    return this.all;
  }

  private lifecycle(): Promise<HealthIndicatorResult<'lifecycle'>> {
    const indicator = this.indicators.check('lifecycle');
    return Promise.resolve(this.shutdown.draining ? indicator.down('shutting down') : indicator.up());
  }
}
