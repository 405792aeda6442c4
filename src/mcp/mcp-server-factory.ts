import { Injectable } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
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
    server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => this.registry.list(extra.authInfo));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.registry.call(request.params.name, request.params.arguments, extra.authInfo, extra.signal),
    );
    return server;
  }
}
