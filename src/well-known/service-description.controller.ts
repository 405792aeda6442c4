import { Controller, Get, Header } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/** What `/` says: the default `resource_documentation`, and where a person who opens the host lands. */
@Controller()
export class ServiceDescriptionController {
  private readonly description: Readonly<Record<string, unknown>>;

  constructor(config: AppConfig) {
    this.description = Object.freeze({
      name: config.resourceName,
      description: 'A Model Context Protocol server over Streamable HTTP, protected as an OAuth 2.1 resource server.',
      mcp_endpoint: config.resourceUrl,
      protected_resource_metadata: config.resourceMetadataUrl,
      authorization_server: config.issuer,
      scopes: [...config.scopes],
      auth_mode: config.authMode,
      connect: `Add ${config.resourceUrl} as a remote MCP server (Streamable HTTP) in ChatGPT, Claude or the MCP Inspector; sign-in is discovered automatically.`,
    });
  }

  @Get()
  @Header('Cache-Control', 'public, max-age=300')
  describe(): Readonly<Record<string, unknown>> {
    return this.description;
  }
}
