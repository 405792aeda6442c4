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
