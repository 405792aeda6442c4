import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { AppConfig } from '../config/app-config.js';
import { BearerChallengeError, UpstreamUnavailableError } from '../errors/errors.js';
import type { VerifiedIdentity } from './verified-identity.js';

/** Claims Clerk puts in an OAuth JWT access token beyond the registered ones. */
interface ClerkAccessTokenClaims extends JWTPayload {
  client_id?: unknown;
  azp?: unknown;
  scope?: unknown;
  scp?: unknown;
}

/** Maps jose's refusals to what the client is told; anything else means the key source failed. */
function describeRejection(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return 'The access token has expired.';
  if (error instanceof errors.JWTClaimValidationFailed) return `The access token's ${error.claim} claim is not acceptable.`;
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'The access token must be signed with RS256.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is not valid.';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'The access token was signed by a key the authorization server does not publish.';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'The access token is malformed.';
  return undefined;
}

export function scopesFromClaims(claims: { scope?: unknown; scp?: unknown }): string[] {
  if (Array.isArray(claims.scp)) return claims.scp.filter((scope): scope is string => typeof scope === 'string');
  if (typeof claims.scp === 'string') return claims.scp.split(' ').filter(Boolean);
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  return [];
}

/**
 * Verifies Clerk's JWT access tokens (`typ: at+jwt`) locally against the Frontend API's JWKS.
 * jose caches the key set and refetches it on an unknown `kid` at most once per cooldown.
 */
@Injectable()
export class ClerkJwtVerifier {
  private readonly keySet: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: AppConfig) {
    this.keySet = createRemoteJWKSet(new URL(`${config.issuer}/.well-known/jwks.json`), {
      timeoutDuration: config.upstreamTimeoutMs,
      cooldownDuration: config.jwksRefreshCooldownMs,
      cacheMaxAge: config.jwksCacheMs,
    });
  }

  async verify(token: string): Promise<VerifiedIdentity> {
    let payload: ClerkAccessTokenClaims;
    try {
      ({ payload } = await jwtVerify<ClerkAccessTokenClaims>(token, this.keySet, {
        algorithms: ['RS256'],
        issuer: this.config.issuer,
        typ: 'at+jwt',
        clockTolerance: this.config.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      const rejection = describeRejection(error);
      if (rejection) throw BearerChallengeError.invalidToken(rejection);
      throw new UpstreamUnavailableError('Clerk JWKS', `The signing keys could not be fetched: ${error instanceof Error ? error.message : String(error)}`);
    }
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : '';
    return {
      userId: payload.sub as string,
      clientId,
      scopes: scopesFromClaims(payload),
      expiresAt: payload.exp as number,
      audience: payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud],
      tokenKind: 'jwt',
    };
  }
}
