import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { BearerChallengeError, UpstreamUnavailableError } from '../errors/errors.js';
import { stopwatch } from '../metrics/stopwatch.js';
import type { AccessTokenVerifier } from './access-token-verifier.js';
import { BoundedTtlCache } from './bounded-ttl-cache.js';
import { tokenCacheKey } from './token-shape.js';
import type { ProfileClaims, VerifiedIdentity } from './verified-identity.js';

/** What makes a JWT access token acceptable from one authorization server. */
export interface JwtVerificationProfile {
  issuer: string;
  algorithms: string[];
  /** RFC 9068 `typ`; when set, any other type (a Clerk session token's `JWT`) is refused. */
  requiredType?: 'at+jwt';
  /** Where the issuer publishes its keys, and the URL to fetch them from. */
  jwksUrl: () => Promise<{ published: string; fetchFrom: string }>;
  clockSkewSeconds: number;
  jwksCacheMs: number;
  jwksRefreshCooldownMs: number;
  upstreamTimeoutMs: number;
  /** Told of every key-set fetch, for metrics. */
  onKeySetFetch: (outcome: 'success' | 'error' | 'timeout', seconds: number) => void;
}

interface AccessTokenClaims extends JWTPayload {
  client_id?: unknown;
  azp?: unknown;
  scope?: unknown;
  scp?: unknown;
}

/** Maps jose's refusals to what the client is told; anything else means the key source failed. */
function describeRejection(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return 'The access token has expired.';
  if (error instanceof errors.JWTClaimValidationFailed) return `The access token's ${error.claim} claim is not acceptable.`;
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'The access token is signed with an algorithm this server does not accept.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is not valid.';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'The access token was signed by a key the authorization server does not publish.';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'The access token is malformed.';
  return undefined;
}

function scopesFromClaims(claims: { scope?: unknown; scp?: unknown }): string[] {
  if (Array.isArray(claims.scp)) return claims.scp.filter((scope): scope is string => typeof scope === 'string');
  if (typeof claims.scp === 'string') return claims.scp.split(' ').filter(Boolean);
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  return [];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function profileFromClaims(payload: JWTPayload): ProfileClaims {
  return {
    name: text(payload.name),
    givenName: text(payload.given_name),
    familyName: text(payload.family_name),
    preferredUsername: text(payload.preferred_username),
    picture: text(payload.picture),
    email: text(payload.email),
    emailVerified: typeof payload.email_verified === 'boolean' ? payload.email_verified : undefined,
  };
}

/** A verified token is trusted again without a signature check for at most this long, and never past its expiry. */
const VERIFIED_CACHE_MS = 60_000;
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Verifies JWT access tokens locally against the issuer's published keys. jose caches the key set
 * and refetches it on an unknown `kid` at most once per cooldown. A client repeats its token on
 * every call, so a verified one is remembered (under its hash, never the token) for a minute at
 * most: the RSA check is the largest part of a request's cost.
 */
export class JwtAccessTokenVerifier implements AccessTokenVerifier {
  private keySet?: { url: string; getKey: JWTVerifyGetKey };
  private readonly verified = new BoundedTtlCache<string, VerifiedIdentity>(VERIFIED_CACHE_SIZE);

  constructor(private readonly profile: JwtVerificationProfile) {}

  async verify(token: string): Promise<VerifiedIdentity> {
    const key = tokenCacheKey(token);
    const remembered = this.verified.get(key);
    if (remembered) return remembered;
    const identity = await this.verifySignatureAndClaims(token);
    // Expires with the token (exp is checked with the same leeway), so an expired token is never served from here.
    const expiresAtMs = ((identity.expiresAt ?? 0) + this.profile.clockSkewSeconds) * 1000;
    this.verified.set(key, identity, Math.min(expiresAtMs, Date.now() + VERIFIED_CACHE_MS));
    return identity;
  }

  private async verifySignatureAndClaims(token: string): Promise<VerifiedIdentity> {
    const getKey = await this.keys();
    let payload: AccessTokenClaims;
    try {
      ({ payload } = await jwtVerify<AccessTokenClaims>(token, getKey, {
        algorithms: this.profile.algorithms,
        issuer: this.profile.issuer,
        typ: this.profile.requiredType,
        clockTolerance: this.profile.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      const rejection = describeRejection(error);
      if (rejection) throw BearerChallengeError.invalidToken(rejection, error instanceof errors.JWTExpired ? 'expired' : 'invalid');
      throw new UpstreamUnavailableError('the signing keys', `The signing keys could not be fetched: ${error instanceof Error ? error.message : String(error)}`);
    }
    const clientId = text(payload.client_id) ?? text(payload.azp) ?? '';
    return {
      userId: payload.sub as string,
      clientId,
      scopes: scopesFromClaims(payload),
      expiresAt: payload.exp as number,
      audience: payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud],
      tokenKind: 'jwt',
      profile: profileFromClaims(payload),
    };
  }

  private async keys(): Promise<JWTVerifyGetKey> {
    const { published, fetchFrom } = await this.profile.jwksUrl().catch((error: unknown) => {
      throw new UpstreamUnavailableError('the authorization server', `Its metadata, which names the signing keys, is unavailable: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (this.keySet?.url !== published) {
      this.keySet = {
        url: published,
        getKey: createRemoteJWKSet(new URL(fetchFrom), {
          timeoutDuration: this.profile.upstreamTimeoutMs,
          cooldownDuration: this.profile.jwksRefreshCooldownMs,
          cacheMaxAge: this.profile.jwksCacheMs,
          [customFetch]: (url, options) => this.timedFetch(url, options),
        }),
      };
    }
    return this.keySet.getKey;
  }

  private async timedFetch(url: string, options: RequestInit): Promise<Response> {
    const elapsed = stopwatch();
    try {
      const response = await fetch(url, options);
      this.profile.onKeySetFetch(response.ok ? 'success' : 'error', elapsed());
      return response;
    } catch (error) {
      this.profile.onKeySetFetch(options.signal?.aborted ? 'timeout' : 'error', elapsed());
      throw error;
    }
  }
}
