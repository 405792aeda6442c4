import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { callerOf } from '../auth/caller.js';
import { httpConfig, operationsConfig } from '../config/namespaces.js';
import { clientAddressOf } from '../config/trusted-proxies.js';
import { JsonRpcHttpError } from '../errors/errors.js';
import { FixedWindowLimiter } from './fixed-window-limiter.js';

/**
 * Applies one limiter to the request's tracker, and answers a refusal the way the MCP endpoint
 * answers everything: a JSON-RPC error, with `Retry-After`. A limit of 0 turns the guard off.
 */
abstract class RateLimitGuard implements CanActivate {
  private readonly limiter: FixedWindowLimiter | undefined;

  protected constructor(limit: number, windowMs: number) {
    this.limiter = limit > 0 ? new FixedWindowLimiter(limit, windowMs) : undefined;
  }

  /** Whom the request counts against; undefined means it is not limited by this guard. */
  protected abstract trackerOf(request: Request): string | undefined;

  canActivate(context: ExecutionContext): boolean {
    if (!this.limiter) return true;
    // HTTP: the request is argument 0 (switchToHttp() would build three closures per call to say so).
    const tracker = this.trackerOf(context.getArgByIndex<Request>(0));
    if (tracker === undefined) return true;
    const decision = this.limiter.hit(tracker);
    if (decision.allowed) return true;
    const seconds = decision.retryAfterSeconds;
    throw new JsonRpcHttpError(429, -32000, `Too many requests: retry after ${seconds} s.`, {
      'Retry-After': String(seconds),
    });
  }
}

/**
 * Per client address as Express sees it (forwarded only by TRUSTED_PROXIES); runs before the token
 * is checked, so floods never reach the verifier.
 */
@Injectable()
export class AddressRateLimitGuard extends RateLimitGuard {
  private readonly behindProxies: boolean;

  constructor(
    @Inject(operationsConfig.KEY) { rateLimit }: ConfigType<typeof operationsConfig>,
    @Inject(httpConfig.KEY) { behindProxies }: ConfigType<typeof httpConfig>,
  ) {
    super(rateLimit.perAddress, rateLimit.windowMs);
    this.behindProxies = behindProxies;
  }

  protected trackerOf(request: Request): string | undefined {
    return clientAddressOf(request, this.behindProxies) ?? request.socket.remoteAddress ?? 'unknown';
  }
}

/** Per signed-in user, whichever address they call from; runs after the bearer guard. Anonymous requests pass. */
@Injectable()
export class UserRateLimitGuard extends RateLimitGuard {
  constructor(@Inject(operationsConfig.KEY) { rateLimit }: ConfigType<typeof operationsConfig>) {
    super(rateLimit.perUser, rateLimit.windowMs);
  }

  protected trackerOf(request: Request): string | undefined {
    return callerOf(request)?.identity?.userId;
  }
}
