import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { mcpConfig } from '../config/namespaces.js';
import { BearerChallengeError, UpstreamUnavailableError } from '../errors/errors.js';
import { Metrics } from '../metrics/metrics.js';
import { stopwatch } from '../metrics/stopwatch.js';
import { AccessTokenVerifier } from '../providers/access-token-verifier.js';
import { AudiencePolicy } from './audience-policy.js';
import { extractBearerToken } from './bearer-token.js';
import { anonymousCaller, setCaller, signedInCaller, type CallerRequest } from './caller.js';
import { tokenShapeOf } from './token-shape.js';
import type { VerifiedIdentity } from './verified-identity.js';

/**
 * The Clerk guard. In `required` mode every request needs a valid access token for this
 * resource. In `mixed` mode a request without a token, or with an expired one, goes on
 * anonymously (protected tools then answer with a sign-in challenge), but any other bad token
 * is still refused: never silently anonymous. Refusals are typed errors; the error filter turns
 * them into RFC 6750 challenges. What it decides is the request's {@link Caller}.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly mixed: boolean;

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly audience: AudiencePolicy,
    @Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>,
    private readonly metrics: Metrics,
  ) {
    this.mixed = mcp.authMode === 'mixed';
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // HTTP: the request is argument 0 (switchToHttp() would build three closures per call to say so).
    const request = context.getArgByIndex<CallerRequest>(0);
    const token = extractBearerToken(request);
    if (token === undefined) {
      // Handed back rejected rather than thrown: a new throw is the dearest step of refusing a request.
      if (!this.mixed) return Promise.reject(BearerChallengeError.missingToken());
      setCaller(request, anonymousCaller('no-token'));
      this.metrics.authOutcome('anonymous');
      return true;
    }
    // Timed for metrics here rather than in a helper of its own: one async step less per request.
    // Refusals themselves are counted where they become answers.
    const elapsed = stopwatch();
    let identity: VerifiedIdentity;
    try {
      identity = await this.verifier.verify(token);
    } catch (error) {
      const outcome = error instanceof UpstreamUnavailableError ? 'upstream_error' : 'invalid';
      this.metrics.observeVerification(tokenShapeOf(token), elapsed(), outcome);
      if (!(this.mixed && error instanceof BearerChallengeError && error.reason === 'expired')) throw error;
      setCaller(request, anonymousCaller('expired'));
      this.metrics.authOutcome('anonymous');
      return true;
    }
    this.metrics.observeVerification(identity.tokenKind, elapsed(), 'valid');
    this.audience.check(identity);
    setCaller(request, signedInCaller(identity, token));
    this.metrics.authOutcome('success');
    return true;
  }
}
