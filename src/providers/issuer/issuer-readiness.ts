import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ConfigType } from '@nestjs/config';
import { CLOCK, type Clock } from '../../auth/clock.js';
import { authConfig, operationsConfig } from '../../config/namespaces.js';
import { Metrics } from '../../metrics/metrics.js';
import { stopwatch } from '../../metrics/stopwatch.js';
import { AuthorizationServer, ProviderReadiness } from '../provider-seam.js';
import { AuthorizationServerMetadata } from './authorization-server-metadata.js';
import { ConfigurationCheck, describeProblem } from './configuration-check.js';

/**
 * What readiness checks of an issuer publishing RFC 8414 metadata: the metadata, the signing keys
 * and the configuration's fit. An invalid configuration stops the process before it listens; one that
 * is valid but does not fit the issuer (scopes it lacks, no registration) fails `configuration`.
 * The upstream checks are cached for READINESS_CACHE_SECONDS, so a probe every few seconds costs
 * at most one call to the issuer per period. The cache runs on the injected clock (terminus'
 * own `cacheFor` reads Date.now), and concurrent probes share one run, as with terminus.
 */
@Injectable()
export class IssuerReadiness extends ProviderReadiness {
  private readonly logger = new Logger(IssuerReadiness.name);
  /** When the signing keys were last fetched; a failed fetch within JWKS_CACHE_SECONDS of it keeps us ready. */
  private keysFetchedAt?: number;
  /** The last failure, so a lasting outage is logged once rather than on every probe. */
  private keysProblem?: string;
  /** The upstream checks' latest runs, by indicator name; an entry expires READINESS_CACHE_SECONDS after it settles. */
  private readonly recent = new Map<
    string,
    { result: Promise<HealthIndicatorResult>; expiresAt: number; settled: boolean }
  >();

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly metadata: AuthorizationServerMetadata,
    private readonly server: AuthorizationServer,
    private readonly metrics: Metrics,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(operationsConfig.KEY) private readonly operations: ConfigType<typeof operationsConfig>,
    private readonly configurationCheck: ConfigurationCheck,
    @Inject(CLOCK) private readonly now: Clock,
  ) {
    super();
  }

  checks(): (() => PromiseLike<HealthIndicatorResult>)[] {
    return [() => this.authorizationServer(), () => this.signingKeys(), () => this.configuration()];
  }

  /** The discovery document, which is itself cached and served stale while the issuer fails. */
  private authorizationServer(): PromiseLike<HealthIndicatorResult> {
    return this.cached('authorization_server', () =>
      this.indicators
        .check('authorization_server')
        .attempt(async () => ({ issuer: (await this.metadata.get('oauth-authorization-server')).issuer }))
        .withTimeout(this.auth.upstreamTimeoutMs),
    );
  }

  /**
   * The doctor's checks the server can run on itself. A failure makes us not ready: no client
   * could sign in, and a rolling update with such a configuration should stop at its first pod
   * rather than replace working ones. Warnings are shown and keep us ready.
   */
  private configuration(): PromiseLike<HealthIndicatorResult> {
    return this.cached('configuration', () =>
      this.indicators
        .check('configuration')
        .attempt(async () => {
          const checks = await this.configurationCheck.run();
          const failed = checks.filter((check) => check.status === 'fail');
          if (failed.length > 0) throw new Error(failed.map(describeProblem).join(' '));
          const warnings = checks.filter((check) => check.status === 'warn').map(describeProblem);
          return warnings.length > 0 ? { warnings } : {};
        })
        .withTimeout(this.auth.upstreamTimeoutMs),
    );
  }

  private signingKeys(): PromiseLike<HealthIndicatorResult> {
    return this.cached('signing_keys', () =>
      this.indicators
        .check('signing_keys')
        .attempt(async ({ signal }) => {
          try {
            const keys = await this.fetchKeys(signal);
            this.keysFetchedAt = this.now();
            return { keys };
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            // Verification keeps using keys this old, so readiness does too rather than failing every replica at once.
            if (this.keysFetchedAt !== undefined && this.now() - this.keysFetchedAt < this.auth.jwksCacheMs)
              return { stale: true, reason };
            throw error;
          }
        })
        .withTimeout(this.auth.upstreamTimeoutMs),
    );
  }

  /**
   * The last result of the check `key` while it is younger than READINESS_CACHE_SECONDS (marked
   * `cachedResponse`, as terminus marks its own), otherwise a new run that concurrent probes share.
   */
  private async cached(key: string, run: () => PromiseLike<HealthIndicatorResult>): Promise<HealthIndicatorResult> {
    const recent = this.recent.get(key);
    if (recent && recent.expiresAt > this.now()) {
      const hit = recent.settled;
      const result = await recent.result;
      return hit ? { [key]: { ...result[key], cachedResponse: true } } : result;
    }
    const entry = {
      result: Promise.resolve(run()),
      expiresAt: this.now() + this.operations.readinessCacheMs,
      settled: false,
    };
    this.recent.set(key, entry);
    const result = await entry.result;
    entry.expiresAt = this.now() + this.operations.readinessCacheMs;
    entry.settled = true;
    return result;
  }

  private async fetchKeys(signal: AbortSignal): Promise<number> {
    const url = this.server.fetchUrl(await this.metadata.jwksUri());
    const elapsed = stopwatch();
    let body: unknown;
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, redirect: 'error', signal });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`${url} answered HTTP ${response.status}`);
      }
      body = await response.json();
    } catch (error) {
      this.metrics.upstreamCall('jwks', signal.aborted ? 'timeout' : 'error', elapsed());
      throw this.problem(
        signal.aborted
          ? `${url} did not answer within ${this.auth.upstreamTimeoutMs} ms`
          : error instanceof Error
            ? error.message
            : String(error),
      );
    }
    this.metrics.upstreamCall('jwks', 'success', elapsed());
    const keys =
      typeof body === 'object' && body !== null && 'keys' in body && Array.isArray(body.keys) ? body.keys.length : 0;
    if (keys === 0) throw this.problem(`${url} publishes no keys`);
    if (this.keysProblem !== undefined) this.logger.log(`Signing keys fetchable again from ${url}`);
    this.keysProblem = undefined;
    return keys;
  }

  private problem(message: string): Error {
    if (message !== this.keysProblem) this.logger.warn(`Signing keys not fetchable: ${message}`);
    this.keysProblem = message;
    return new Error(message);
  }
}
