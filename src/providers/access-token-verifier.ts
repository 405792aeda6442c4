import type { VerifiedIdentity } from '../auth/verified-identity.js';

/**
 * Turns a bearer token into an identity. Implementations throw `BearerChallengeError.invalidToken`
 * for tokens that are not good, and `UpstreamUnavailableError` when they cannot tell.
 * Audience is judged afterwards by {@link AudiencePolicy}, the same way for every kind of token.
 */
export abstract class AccessTokenVerifier {
  abstract verify(token: string): Promise<VerifiedIdentity>;
}
