import { Injectable } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { identityFromAuthInfo } from '../auth/verified-identity.js';
import { ToolRegistry } from './tool-registry.js';

const SERVER_INFO = { name: 'nest-mcp-oauth', version: '0.1.0' };

/**
 * Builds the SDK's low-level `Server` a transport needs. A server can serve one transport, and a
 * stateless transport one request, so this runs per request: it only wires handlers to the
 * registry built at start, and shares one schema validator instead of creating one each time.
 */
@Injectable()
export class McpServerFactory {
  private readonly sharedValidator = new AjvJsonSchemaValidator();

  constructor(private readonly registry: ToolRegistry) {}

  create(): Server {
    const server = new Server(SERVER_INFO, {
      capabilities: { tools: { listChanged: false } },
      jsonSchemaValidator: this.sharedValidator,
    });
    server.setRequestHandler(ListToolsRequestSchema, () => this.registry.list());
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      const identity = identityFromAuthInfo(extra.authInfo);
      if (!identity) throw new McpError(ErrorCode.InvalidRequest, 'The request carries no verified identity.');
      return this.registry.call(request.params.name, request.params.arguments, { identity, signal: extra.signal });
    });
    return server;
  }
}
