import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';
import { BearerChallengeError } from '../errors/errors.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { AudiencePolicy } from './audience-policy.js';
import { extractBearerToken } from './bearer-token.js';
import { toAuthInfo } from './verified-identity.js';

/** A request after the guard: `auth` is where the SDK's transport looks for `authInfo`. */
export interface AuthenticatedRequest extends Request {
  auth?: AuthInfo;
}

/**
 * The Clerk guard: every request needs a valid access token for this resource. Refusals are
 * typed errors; the error filter turns them into RFC 6750 challenges.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly audience: AudiencePolicy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = extractBearerToken(request);
    if (token === undefined) throw BearerChallengeError.missingToken();
    const identity = await this.verifier.verify(token);
    this.audience.check(identity);
    request.auth = toAuthInfo(identity, token);
    return true;
  }
}
