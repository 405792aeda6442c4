import { Module } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerOptions } from '@nestjs/throttler';
import type { AuthenticatedRequest } from '../auth/bearer-auth.guard.js';
import { identityFromAuthInfo } from '../auth/verified-identity.js';
import { AppConfig } from '../config/app-config.js';
import { ADDRESS_THROTTLER, USER_THROTTLER } from './rate-limit.guards.js';

const userOf = (request: AuthenticatedRequest): string | undefined => identityFromAuthInfo(request.auth)?.userId;

function throttlers(config: AppConfig): ThrottlerOptions[] {
  const { windowMs, perAddress, perUser } = config.rateLimit;
  const limits: ThrottlerOptions[] = [];
  // The default tracker is the client address as Express sees it: forwarded only by TRUSTED_PROXIES.
  if (perAddress > 0) limits.push({ name: ADDRESS_THROTTLER, ttl: windowMs, limit: perAddress });
  if (perUser > 0)
    limits.push({
      name: USER_THROTTLER,
      ttl: windowMs,
      limit: perUser,
      getTracker: (request) => userOf(request as AuthenticatedRequest) ?? '',
      // Anonymous requests (MCP_AUTH_MODE=mixed) are limited by address only.
      skipIf: (context) => userOf(context.switchToHttp().getRequest<AuthenticatedRequest>()) === undefined,
    });
  return limits;
}

/**
 * Rate limits for the MCP endpoint, per client address and per user, counted per replica (in
 * memory). One bucket per client for the whole endpoint, whatever the HTTP method. The MCP
 * controller applies them with AddressRateLimitGuard and UserRateLimitGuard (rate-limit.guards.ts).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: throttlers(config),
        // Only Retry-After, on refusals: the X-RateLimit-* headers of two named throttlers would be noise.
        setHeaders: false,
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
      }),
    }),
  ],
})
export class RateLimitModule {}
