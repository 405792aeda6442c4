import { Injectable } from '@nestjs/common';
import { JwtAccessTokenVerifier } from '../../auth/jwt-access-token-verifier.js';
import { tokenShapeOf } from '../../auth/token-shape.js';
import type { VerifiedIdentity } from '../../auth/verified-identity.js';
import { BearerChallengeError } from '../../errors/errors.js';
import type { AccessTokenVerifier } from '../access-token-verifier.js';
import { ClerkOpaqueTokenVerifier } from './clerk-opaque-token-verifier.js';

/** Clerk issues either JWT or opaque (`oat_`) access tokens; the token's shape says which check applies. */
@Injectable()
export class ClerkTokenVerifier implements AccessTokenVerifier {
  constructor(
    private readonly jwt: JwtAccessTokenVerifier,
    private readonly opaque: ClerkOpaqueTokenVerifier,
  ) {}

  verify(token: string): Promise<VerifiedIdentity> {
    const shape = tokenShapeOf(token);
    if (shape === 'opaque') return this.opaque.verify(token);
    if (shape === 'jwt') return this.jwt.verify(token);
    return Promise.reject(
      BearerChallengeError.invalidToken('The access token is neither a Clerk JWT nor a Clerk OAuth token.'),
    );
  }
}
