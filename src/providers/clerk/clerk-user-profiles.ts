import { Injectable } from '@nestjs/common';
import type { VerifiedIdentity } from '../../auth/verified-identity.js';
import type { UserProfile, UserProfiles } from '../user-profiles.js';
import { ClerkBackendApi } from './clerk-backend-api.js';

/** Clerk's access tokens carry no profile claims, so the profile comes from the Backend API. */
@Injectable()
export class ClerkUserProfiles implements UserProfiles {
  constructor(private readonly clerk: ClerkBackendApi) {}

  async find(identity: VerifiedIdentity): Promise<UserProfile | null> {
    const user = await this.clerk.getUser(identity.userId);
    if (!user) return null;
    const primary = user.primaryEmailAddress;
    return {
      userId: user.id,
      name: user.fullName,
      firstName: user.firstName,
      lastName: user.lastName,
      username: user.username,
      imageUrl: user.imageUrl,
      email: primary?.emailAddress ?? null,
      emailVerified: primary?.verification?.status === 'verified',
    };
  }
}
