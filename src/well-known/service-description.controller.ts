import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig, mcpConfig, serverConfig } from '../config/namespaces.js';

/** What `/` says: the default `resource_documentation`, and where a person who opens the host lands. */
@Controller()
export class ServiceDescriptionController {
  private readonly description: Readonly<Record<string, unknown>>;

  constructor(
    @Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    @Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>,
  ) {
    this.description = Object.freeze({
      name: server.resourceName,
      description: 'A Model Context Protocol server over Streamable HTTP, protected as an OAuth 2.1 resource server.',
      mcp_endpoint: server.resourceUrl,
      protected_resource_metadata: server.resourceMetadataUrl,
      authorization_server: auth.issuer,
      scopes: [...mcp.scopes],
      auth_mode: mcp.authMode,
      connect: `Add ${server.resourceUrl} as a remote MCP server (Streamable HTTP) in ChatGPT, Claude or the MCP Inspector; sign-in is discovered automatically.`,
    });
  }

  @Get()
  @Header('Cache-Control', 'public, max-age=300')
  describe(): Readonly<Record<string, unknown>> {
    return this.description;
  }
}
