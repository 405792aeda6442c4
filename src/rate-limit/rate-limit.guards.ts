import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerRequest } from '@nestjs/throttler';
import { JsonRpcHttpError } from '../errors/errors.js';

/** Names of the two throttlers configured in {@link RateLimitModule}. */
export const ADDRESS_THROTTLER = 'address';
export const USER_THROTTLER = 'user';

/**
 * A throttler guard that applies one of the configured throttlers and answers a refusal the way
 * the MCP endpoint answers everything: a JSON-RPC error, with `Retry-After`.
 */
abstract class RateLimitGuard extends ThrottlerGuard {
  protected abstract readonly throttlerName: string;

  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    return request.throttler.name === this.throttlerName ? super.handleRequest(request) : Promise.resolve(true);
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new JsonRpcHttpError(429, -32000, `Too many requests: retry after ${detail.timeToBlockExpire} s.`, { 'Retry-After': String(detail.timeToBlockExpire) });
  }
}

/** Per client address (behind trusted proxies, the forwarded one); runs before the token is checked, so floods never reach the verifier. */
@Injectable()
export class AddressRateLimitGuard extends RateLimitGuard {
  protected readonly throttlerName = ADDRESS_THROTTLER;
}

/** Per signed-in user, whichever address they call from; runs after the bearer guard. */
@Injectable()
export class UserRateLimitGuard extends RateLimitGuard {
  protected readonly throttlerName = USER_THROTTLER;
}
