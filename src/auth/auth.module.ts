import { Module } from '@nestjs/common';
import { ClerkModule } from '../clerk/clerk.module.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { AudiencePolicy } from './audience-policy.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { ClerkJwtVerifier } from './clerk-jwt-verifier.js';
import { ClerkOpaqueTokenVerifier } from './clerk-opaque-token-verifier.js';
import { ClerkTokenVerifier } from './clerk-token-verifier.js';

/** Bearer-token authentication for the MCP endpoint. Other modules use the guard and the verifier contract. */
@Module({
  imports: [ClerkModule],
  providers: [
    ClerkJwtVerifier,
    ClerkOpaqueTokenVerifier,
    { provide: AccessTokenVerifier, useClass: ClerkTokenVerifier },
    AudiencePolicy,
    BearerAuthGuard,
  ],
  exports: [BearerAuthGuard, AccessTokenVerifier, AudiencePolicy],
})
export class AuthModule {}
