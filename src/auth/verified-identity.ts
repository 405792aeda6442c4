import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

export type TokenKind = 'jwt' | 'opaque';

/** Profile claims an authorization server may put in its access tokens (OpenID Connect names). */
export interface ProfileClaims {
  name?: string;
  givenName?: string;
  familyName?: string;
  preferredUsername?: string;
  picture?: string;
  email?: string;
  emailVerified?: boolean;
}

/** Who a verified access token speaks for. Never holds the token itself. */
export interface VerifiedIdentity {
  userId: string;
  clientId: string;
  scopes: readonly string[];
  /** Seconds since the epoch, or null when the authorization server set no expiry. */
  expiresAt: number | null;
  audience: readonly string[];
  tokenKind: TokenKind;
  /** Present for JWT access tokens; empty when the issuer puts no profile claims in them. */
  profile?: ProfileClaims;
}

/** The identity as the MCP SDK's `authInfo`, which the transport hands to every request handler. */
export function toAuthInfo(identity: VerifiedIdentity, token: string): AuthInfo {
  return {
    token,
    clientId: identity.clientId,
    scopes: [...identity.scopes],
    expiresAt: identity.expiresAt ?? undefined,
    extra: { identity },
  };
}

/** Why a mixed-mode request runs without an identity: it sent no token, or one that has expired. */
export type AnonymousReason = 'no-token' | 'expired';

/** The `authInfo` of a mixed-mode request that runs anonymously; it carries no token and no scopes. */
export function anonymousAuthInfo(reason: AnonymousReason): AuthInfo {
  return { token: '', clientId: '', scopes: [], extra: { anonymous: reason } };
}

export function anonymousReason(authInfo: AuthInfo | undefined): AnonymousReason {
  return authInfo?.extra?.anonymous === 'expired' ? 'expired' : 'no-token';
}

/** Reads back the identity the guard attached; undefined for anything else. */
export function identityFromAuthInfo(authInfo: AuthInfo | undefined): VerifiedIdentity | undefined {
  const identity = authInfo?.extra?.identity;
  return isVerifiedIdentity(identity) ? identity : undefined;
}

function isVerifiedIdentity(value: unknown): value is VerifiedIdentity {
  return typeof value === 'object' && value !== null && typeof (value as VerifiedIdentity).userId === 'string' && Array.isArray((value as VerifiedIdentity).scopes);
}
