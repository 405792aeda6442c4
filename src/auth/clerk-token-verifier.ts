import { Injectable } from '@nestjs/common';
import { BearerChallengeError } from '../errors/errors.js';
import type { AccessTokenVerifier } from './access-token-verifier.js';
import { JwtAccessTokenVerifier } from './jwt-access-token-verifier.js';
import { ClerkOpaqueTokenVerifier } from './clerk-opaque-token-verifier.js';
import type { VerifiedIdentity } from './verified-identity.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Clerk issues either JWT or opaque (`oat_`) access tokens; the token's shape says which check applies. */
@Injectable()
export class ClerkTokenVerifier implements AccessTokenVerifier {
  constructor(
    private readonly jwt: JwtAccessTokenVerifier,
    private readonly opaque: ClerkOpaqueTokenVerifier,
  ) {}

  verify(token: string): Promise<VerifiedIdentity> {
    if (token.startsWith('oat_')) return this.opaque.verify(token);
    if (JWT_SHAPE.test(token)) return this.jwt.verify(token);
    return Promise.reject(BearerChallengeError.invalidToken('The access token is neither a Clerk JWT nor a Clerk OAuth token.'));
  }
}
