import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { AuthorizationServerMetadata } from '../authorization-server/authorization-server-metadata.js';
import { AuthorizationServerModule } from '../authorization-server/authorization-server.module.js';
import { ClerkModule } from '../clerk/clerk.module.js';
import { AppConfig } from '../config/app-config.js';
import type { AuthProvider } from '../config/environment.js';
import { Metrics } from '../metrics/metrics.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { AudiencePolicy } from './audience-policy.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { ClerkOpaqueTokenVerifier } from './clerk-opaque-token-verifier.js';
import { ClerkTokenVerifier } from './clerk-token-verifier.js';
import { CLOCK, ClockModule, type Clock } from './clock.js';
import { JwtAccessTokenVerifier, type JwtVerificationProfile } from './jwt-access-token-verifier.js';

type SharedSettings =
  | 'clockSkewSeconds'
  | 'jwksCacheMs'
  | 'jwksRefreshCooldownMs'
  | 'upstreamTimeoutMs'
  | 'onKeySetFetch'
  | 'now';

const sharedSettings = (
  config: AppConfig,
  metrics: Metrics,
  now: Clock,
): Pick<JwtVerificationProfile, SharedSettings> => ({
  clockSkewSeconds: config.clockSkewSeconds,
  jwksCacheMs: config.jwksCacheMs,
  jwksRefreshCooldownMs: config.jwksRefreshCooldownMs,
  upstreamTimeoutMs: config.upstreamTimeoutMs,
  onKeySetFetch: (outcome, seconds) => metrics.upstreamCall('jwks', outcome, seconds),
  now,
});

/** Clerk: OAuth JWTs against the Frontend API's keys, opaque `oat_` tokens through the Backend API. */
const clerkVerifiers: Provider[] = [
  {
    provide: JwtAccessTokenVerifier,
    inject: [AppConfig, Metrics, CLOCK],
    useFactory: (config: AppConfig, metrics: Metrics, now: Clock): JwtAccessTokenVerifier => {
      const jwks = `${config.issuer}/.well-known/jwks.json`;
      return new JwtAccessTokenVerifier({
        issuer: config.issuer,
        algorithms: ['RS256'],
        requiredType: 'at+jwt',
        jwksUrl: async () => ({ published: jwks, fetchFrom: jwks }),
        ...sharedSettings(config, metrics, now),
      });
    },
  },
  ClerkOpaqueTokenVerifier,
  { provide: AccessTokenVerifier, useClass: ClerkTokenVerifier },
];

/** Any standards issuer (and the embedded one): JWT access tokens against the metadata's jwks_uri. */
const issuerVerifier: Provider = {
  provide: AccessTokenVerifier,
  inject: [AppConfig, AuthorizationServerMetadata, Metrics, CLOCK],
  useFactory: (
    config: AppConfig,
    metadata: AuthorizationServerMetadata,
    metrics: Metrics,
    now: Clock,
  ): AccessTokenVerifier =>
    new JwtAccessTokenVerifier({
      issuer: config.issuer,
      algorithms: config.authProvider === 'embedded' ? ['RS256'] : config.oidc.algorithms,
      // The embedded server issues RFC 9068 tokens; Auth0, Okta and Entra type theirs `JWT`.
      requiredType: config.authProvider === 'embedded' ? 'at+jwt' : undefined,
      jwksUrl: async () => {
        const published = await metadata.jwksUri();
        return { published, fetchFrom: config.issuerFetchUrl(published) };
      },
      ...sharedSettings(config, metrics, now),
    }),
};

/** Bearer-token authentication for the MCP endpoint, for the configured authorization server. */
@Module({})
export class AuthModule {
  static forRoot(provider: AuthProvider): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: [ClockModule, provider === 'clerk' ? ClerkModule : AuthorizationServerModule],
      providers: [
        ...(provider === 'clerk' ? clerkVerifiers : [issuerVerifier]),
        AudiencePolicy,
        BearerAuthGuard,
      ],
      exports: [BearerAuthGuard, AccessTokenVerifier, AudiencePolicy],
    };
  }
}
