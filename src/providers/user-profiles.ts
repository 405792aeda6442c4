import type { VerifiedIdentity } from '../auth/verified-identity.js';

/** What the identity tools show about a user, whatever the authorization server. */
export interface UserProfile {
  userId: string;
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  imageUrl: string | null;
  email: string | null;
  emailVerified: boolean;
}

/** Where the identity tools read the signed-in user's profile from. */
export abstract class UserProfiles {
  /** Null when the source has no such user. */
  abstract find(identity: VerifiedIdentity): Promise<UserProfile | null>;
}
