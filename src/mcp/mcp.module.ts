import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { DnsRebindingGuard } from './dns-rebinding.guard.js';
import { McpJsonBodyMiddleware } from './json-body.middleware.js';
import { LegacyHttpEndpoint } from './legacy-http-endpoint.js';
import { McpController } from './mcp.controller.js';
import { McpServerFactory } from './mcp-server-factory.js';
import { ModernHttpEndpoint } from './modern-http-endpoint.js';
import { ScopePolicy } from './scope-policy.js';
import { ToolAccessGuard } from './tool-access.guard.js';
import { ToolRegistry } from './tool-registry.js';

/**
 * The MCP endpoint over Streamable HTTP, for both protocol eras, and the tools discovered across
 * the application (declared with `@McpTool`, mcp-tool.ts). It imports what its controller's
 * guards need: authentication over the selected provider, the rate limits, metrics. The endpoint
 * reads its own JSON bodies (json-body.middleware.ts), ahead of its guards as body-parser was.
 */
@Module({})
export class McpModule implements NestModule {
  static forRoot(providerModule: DynamicModule): DynamicModule {
    return {
      module: McpModule,
      imports: [DiscoveryModule, AuthModule.forRoot(providerModule), RateLimitModule, MetricsModule],
      controllers: [McpController],
      providers: [
        DnsRebindingGuard,
        ToolAccessGuard,
        ToolRegistry,
        ScopePolicy,
        McpServerFactory,
        LegacyHttpEndpoint,
        ModernHttpEndpoint,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(McpJsonBodyMiddleware).forRoutes(McpController);
  }
}
