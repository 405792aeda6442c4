import type { Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { CLOCK, ClockModule, type Clock } from '../../auth/clock.js';
import { JwtAccessTokenVerifier } from '../../auth/jwt-access-token-verifier.js';
import { authConfig, serverConfig } from '../../config/namespaces.js';
import { Metrics } from '../../metrics/metrics.js';
import { MetricsModule } from '../../metrics/metrics.module.js';
import { AccessTokenVerifier } from '../access-token-verifier.js';
import { AuthorizationServer, JwtAccessTokenRules, ProviderReadiness } from '../provider-seam.js';
import { UserProfiles } from '../user-profiles.js';
import { AuthorizationServerMetadata } from './authorization-server-metadata.js';
import { ConfigurationCheck } from './configuration-check.js';
import { IssuerReadiness } from './issuer-readiness.js';

/**
 * The building blocks every provider here shares, its authorization server being an OAuth issuer
 * with RFC 8414 metadata: the metadata source, the doctor's checks on it, readiness, and the JWT
 * verifier. A provider module adds its {@link AuthorizationServer} and {@link JwtAccessTokenRules}.
 */
export const ISSUER_IMPORTS = [ClockModule, MetricsModule, TerminusModule];

/**
 * The provider's {@link AuthorizationServer}: the configured issuer, fetched as published, or over
 * loopback when it is this very process.
 */
export function authorizationServerAtIssuer(
  traits: Pick<AuthorizationServer, 'metadataNamesKeys' | 'reachableAtStart'> & { overLoopback: boolean },
): Provider {
  return {
    provide: AuthorizationServer,
    inject: [authConfig.KEY, serverConfig.KEY],
    useFactory: (
      auth: ConfigType<typeof authConfig>,
      server: ConfigType<typeof serverConfig>,
    ): AuthorizationServer => ({
      issuer: auth.issuer,
      metadataNamesKeys: traits.metadataNamesKeys,
      reachableAtStart: traits.reachableAtStart,
      fetchUrl: traits.overLoopback ? server.overLoopback : (published) => published,
    }),
  };
}

const jwtAccessTokenVerifier: Provider = {
  provide: JwtAccessTokenVerifier,
  inject: [JwtAccessTokenRules, AuthorizationServer, authConfig.KEY, Metrics, CLOCK],
  useFactory: (
    rules: JwtAccessTokenRules,
    server: AuthorizationServer,
    auth: ConfigType<typeof authConfig>,
    metrics: Metrics,
    now: Clock,
  ): JwtAccessTokenVerifier =>
    new JwtAccessTokenVerifier({
      issuer: server.issuer,
      algorithms: rules.algorithms,
      requiredType: rules.requiredType,
      jwksUrl: async () => {
        const published = await rules.keySetUrl();
        return { published, fetchFrom: server.fetchUrl(published) };
      },
      clockSkewSeconds: auth.clockSkewSeconds,
      jwksCacheMs: auth.jwksCacheMs,
      jwksRefreshCooldownMs: auth.jwksRefreshCooldownMs,
      upstreamTimeoutMs: auth.upstreamTimeoutMs,
      onKeySetFetch: (outcome, seconds) => metrics.upstreamCall('jwks', outcome, seconds),
      now,
    }),
};

export const ISSUER_PROVIDERS: Provider[] = [
  AuthorizationServerMetadata,
  ConfigurationCheck,
  { provide: ProviderReadiness, useClass: IssuerReadiness },
  jwtAccessTokenVerifier,
];

/** The seam: what every provider module exports, under the same tokens. */
export const PROVIDER_EXPORTS = [AccessTokenVerifier, UserProfiles, AuthorizationServerMetadata, ProviderReadiness];
