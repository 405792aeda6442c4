import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.js';
import { BearerChallengeError, UpstreamUnavailableError } from '../errors/errors.js';
import { Metrics } from '../metrics/metrics.js';
import { stopwatch } from '../metrics/stopwatch.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { AudiencePolicy } from './audience-policy.js';
import { extractBearerToken } from './bearer-token.js';
import { tokenShapeOf } from './token-shape.js';
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
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const mixed = this.config.authMode === 'mixed';
    const token = extractBearerToken(request);
    if (token === undefined) {
      if (!mixed) throw BearerChallengeError.missingToken();
      request.auth = anonymousAuthInfo('no-token');
      this.metrics.authOutcome('anonymous');
      return true;
    }
    const identity = await this.verify(token).catch((error: unknown) => {
      if (mixed && error instanceof BearerChallengeError && error.reason === 'expired') return undefined;
      throw error;
    });
    if (!identity) {
      request.auth = anonymousAuthInfo('expired');
      this.metrics.authOutcome('anonymous');
      return true;
    }
    this.audience.check(identity);
    request.auth = toAuthInfo(identity, token);
    this.metrics.authOutcome('success');
    return true;
  }

  /** Verification timed for metrics; refusals themselves are counted where they become answers. */
  private async verify(token: string): Promise<VerifiedIdentity> {
    const elapsed = stopwatch();
    try {
      const identity = await this.verifier.verify(token);
      this.metrics.observeVerification(identity.tokenKind, elapsed(), 'valid');
      return identity;
    } catch (error) {
      const outcome = error instanceof UpstreamUnavailableError ? 'upstream_error' : 'invalid';
      this.metrics.observeVerification(tokenShapeOf(token), elapsed(), outcome);
      throw error;
    }
  }
}
