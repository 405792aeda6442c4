import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { DnsRebindingGuard } from './dns-rebinding.guard.js';
import { LegacyHttpEndpoint } from './legacy-http-endpoint.js';
import { McpController } from './mcp.controller.js';
import { McpServerFactory } from './mcp-server-factory.js';
import { ModernHttpEndpoint } from './modern-http-endpoint.js';
import { ScopePolicy } from './scope-policy.js';
import { ScopeRequirements } from './scope-requirements.js';
import { ToolRegistry } from './tool-registry.js';

export {
  McpTool,
  signedInIdentity,
  type McpToolHandler,
  type McpToolOptions,
  type SecurityScheme,
  type ToolContext,
} from './mcp-tool.js';

/** The MCP endpoint over Streamable HTTP, for both protocol eras, and the tools discovered across the application. */
@Module({
  imports: [DiscoveryModule, RateLimitModule],
  controllers: [McpController],
  providers: [
    DnsRebindingGuard,
    ToolRegistry,
    ScopePolicy,
    McpServerFactory,
    ScopeRequirements,
    LegacyHttpEndpoint,
    ModernHttpEndpoint,
  ],
})
export class McpModule {}
