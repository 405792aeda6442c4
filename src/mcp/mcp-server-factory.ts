import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Server as LegacyServer } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator as LegacyValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import {
  Server as ModernServer,
  type ListToolsResult as ModernListToolsResult,
  type ServerOptions as ModernServerOptions,
} from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator as ModernValidator } from '@modelcontextprotocol/server/validators/ajv';
import { callerFromAuthInfo } from '../auth/caller.js';
import { mcpConfig } from '../config/namespaces.js';
import { ToolRegistry } from './tool-registry.js';

const SERVER_INFO = { name: 'nest-mcp-oauth', version: '0.1.0' };
const CAPABILITIES = { tools: { listChanged: false } };

/**
 * Builds the SDKs' low-level servers, one per era, both wired to the one {@link ToolRegistry}: a
 * tool is written once, and neither it nor the registry learns which era called. A server serves
 * one transport, and a stateless exchange one request, so this runs per request: it only wires
 * handlers to the registry built at start, sharing each SDK's schema validator and the options
 * instead of creating them each time.
 */
@Injectable()
export class McpServerFactory {
  private readonly legacyValidator = new LegacyValidator();
  private readonly modernOptions: ModernServerOptions;

  constructor(
    private readonly registry: ToolRegistry,
    @Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>,
  ) {
    const ttlMs = mcp.listTtlMs;
    this.modernOptions = {
      capabilities: CAPABILITIES,
      jsonSchemaValidator: new ModernValidator(),
      cacheHints: {
        // What a caller sees depends on who it is only when unauthorized tools are hidden.
        'tools/list': { ttlMs, cacheScope: mcp.hideUnauthorizedTools ? 'private' : 'public' },
        'server/discover': { ttlMs, cacheScope: 'public' },
      },
    };
  }

  /** For 2025 clients, on SDK 1.x. */
  legacy(): LegacyServer {
    const server = new LegacyServer(SERVER_INFO, {
      capabilities: CAPABILITIES,
      jsonSchemaValidator: this.legacyValidator,
    });
    server.setRequestHandler(ListToolsRequestSchema, (_request, extra) =>
      this.registry.list(callerFromAuthInfo(extra.authInfo)),
    );
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.registry.call(
        request.params.name,
        request.params.arguments,
        callerFromAuthInfo(extra.authInfo),
        extra.signal,
      ),
    );
    return server;
  }

  /**
   * For 2026-07-28 clients, on SDK 2.x. The low-level server, like the 1.x one: the registry
   * already holds the descriptors, validators and access rules McpServer would rebuild.
   */
  modern(): ModernServer {
    const server = new ModernServer(SERVER_INFO, this.modernOptions);
    // The same wire shape; SDK 1.x's type merely leaves the input schema's properties untyped.
    server.setRequestHandler(
      'tools/list',
      (_request, context) => this.registry.list(callerFromAuthInfo(context.http?.authInfo)) as ModernListToolsResult,
    );
    server.setRequestHandler('tools/call', (request, context) =>
      this.registry.call(
        request.params.name,
        request.params.arguments,
        callerFromAuthInfo(context.http?.authInfo),
        context.mcpReq.signal,
      ),
    );
    return server;
  }
}
