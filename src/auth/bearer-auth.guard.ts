import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.js';
import { BearerChallengeError } from '../errors/errors.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { AudiencePolicy } from './audience-policy.js';
import { extractBearerToken } from './bearer-token.js';
import { anonymousAuthInfo, toAuthInfo, type VerifiedIdentity } from './verified-identity.js';

/** A request after the guard: `auth` is where the SDK's transport looks for `authInfo`. */
export interface AuthenticatedRequest extends Request {
  auth?: AuthInfo;
}

/**
 * The Clerk guard. In `required` mode every request needs a valid access token for this
 * resource. In `mixed` mode a request without a token, or with an expired one, goes on
 * anonymously (protected tools then answer with a sign-in challenge), but any other bad token
 * is still refused: never silently anonymous. Refusals are typed errors; the error filter turns
 * them into RFC 6750 challenges.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly audience: AudiencePolicy,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const mixed = this.config.authMode === 'mixed';
    const token = extractBearerToken(request);
    if (token === undefined) {
      if (!mixed) throw BearerChallengeError.missingToken();
      request.auth = anonymousAuthInfo('no-token');
      return true;
    }
    let identity: VerifiedIdentity;
    try {
      identity = await this.verifier.verify(token);
    } catch (error) {
      if (mixed && error instanceof BearerChallengeError && error.reason === 'expired') {
        request.auth = anonymousAuthInfo('expired');
        return true;
      }
      throw error;
    }
    this.audience.check(identity);
    request.auth = toAuthInfo(identity, token);
    return true;
  }
}
