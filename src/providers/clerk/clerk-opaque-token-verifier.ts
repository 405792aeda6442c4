import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { BoundedTtlCache } from '../../auth/bounded-ttl-cache.js';
import { CLOCK, type Clock } from '../../auth/clock.js';
import { tokenCacheKey } from '../../auth/token-shape.js';
import type { VerifiedIdentity } from '../../auth/verified-identity.js';
import { clerkConfig, type ClerkSettings } from '../../config/namespaces.js';
import { BearerChallengeError } from '../../errors/errors.js';
import { Metrics } from '../../metrics/metrics.js';
import { ClerkBackendApi } from './clerk-backend-api.js';

/**
 * Verifies Clerk's opaque access tokens (`oat_...`) through the Backend API. Good answers are
 * cached under a hash of the token, never the token, for the configured maximum or until the
 * token expires, whichever is sooner; concurrent checks of one token share one call.
 */
@Injectable()
export class ClerkOpaqueTokenVerifier {
  private readonly cache: BoundedTtlCache<string, VerifiedIdentity>;
  private readonly inFlight = new Map<string, Promise<VerifiedIdentity>>();
  /** Always set: this provider is loaded only with AUTH_PROVIDER=clerk. */
  private readonly settings: ClerkSettings;

  constructor(
    private readonly clerk: ClerkBackendApi,
    @Inject(clerkConfig.KEY) clerkSettings: ConfigType<typeof clerkConfig>,
    private readonly metrics: Metrics,
    @Inject(CLOCK) private readonly now: Clock,
  ) {
    this.settings = clerkSettings as ClerkSettings;
    this.cache = new BoundedTtlCache(this.settings.opaqueTokenCacheSize, now);
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    const key = tokenCacheKey(token);
    const cached = this.cache.get(key);
    this.metrics.cacheLookup('opaque_token', cached !== undefined);
    if (cached) return this.stillValid(cached);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const verification = this.verifyWithClerk(token, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, verification);
    return verification;
  }

  private async verifyWithClerk(token: string, key: string): Promise<VerifiedIdentity> {
    const answer = await this.clerk.verifyOpaqueToken(token);
    if (answer === null)
      throw BearerChallengeError.invalidToken('The access token is not known to the authorization server.');
    if (answer.revoked) throw BearerChallengeError.invalidToken('The access token has been revoked.');
    const expiresAtMs = typeof answer.expiration === 'number' ? answer.expiration : null;
    if (answer.expired || (expiresAtMs !== null && expiresAtMs <= this.now()))
      throw BearerChallengeError.invalidToken('The access token has expired.', 'expired');
    const identity: VerifiedIdentity = {
      userId: answer.subject,
      clientId: answer.clientId,
      scopes: [...answer.scopes],
      expiresAt: expiresAtMs === null ? null : Math.floor(expiresAtMs / 1000),
      audience: answer.aud ?? [],
      tokenKind: 'opaque',
    };
    const cacheUntil = Math.min(this.now() + this.settings.opaqueTokenCacheMs, expiresAtMs ?? Number.POSITIVE_INFINITY);
    this.cache.set(key, identity, cacheUntil);
    return identity;
  }

  private stillValid(identity: VerifiedIdentity): VerifiedIdentity {
    if (identity.expiresAt !== null && identity.expiresAt * 1000 <= this.now())
      throw BearerChallengeError.invalidToken('The access token has expired.', 'expired');
    return identity;
  }
}
