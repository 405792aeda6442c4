import { Module } from '@nestjs/common';
import { AddressRateLimitGuard, UserRateLimitGuard } from './rate-limit.guards.js';

/**
 * Rate limits for the MCP endpoint, per client address and per user, counted per replica (in
 * memory). One bucket per client for the whole endpoint, whatever the HTTP method.
 */
@Module({
  providers: [AddressRateLimitGuard, UserRateLimitGuard],
  exports: [AddressRateLimitGuard, UserRateLimitGuard],
})
export class RateLimitModule {}
