import { Injectable } from '@nestjs/common';
import type { VerifiedIdentity } from '../../auth/verified-identity.js';
import type { UserProfile, UserProfiles } from '../user-profiles.js';

/**
 * Standards issuers (and the embedded one) can put OpenID profile claims in the access token;
 * reading them there needs no second call and never sends the user's token anywhere.
 */
@Injectable()
export class TokenClaimsUserProfiles implements UserProfiles {
  async find(identity: VerifiedIdentity): Promise<UserProfile | null> {
    const claims = identity.profile ?? {};
    const joined = [claims.givenName, claims.familyName].filter(Boolean).join(' ');
    return {
      userId: identity.userId,
      name: claims.name ?? (joined || null),
      firstName: claims.givenName ?? null,
      lastName: claims.familyName ?? null,
      username: claims.preferredUsername ?? null,
      imageUrl: claims.picture ?? null,
      email: claims.email ?? null,
      emailVerified: claims.emailVerified ?? false,
    };
  }
}
