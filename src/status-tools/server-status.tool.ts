import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig, mcpConfig, serverConfig } from '../config/namespaces.js';
import { McpTool, type McpToolHandler, type ToolContext } from '../mcp/mcp-tool.js';

@McpTool({
  name: 'server_status',
  title: 'Server status',
  description:
    'Says whether this MCP server is up, which authorization server signs users in, the scopes it offers, and whether you are signed in. Needs no sign-in.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  securitySchemes: [{ type: 'noauth' }],
  annotations: { readOnlyHint: true, openWorldHint: false },
})
export class ServerStatusTool implements McpToolHandler {
  constructor(
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(mcpConfig.KEY) private readonly mcp: ConfigType<typeof mcpConfig>,
  ) {}

  async execute(_args: Record<string, unknown>, { identity }: ToolContext): Promise<CallToolResult> {
    const status = {
      status: 'ok',
      resource: this.server.resourceUrl,
      authorizationServer: this.auth.issuer,
      authMode: this.mcp.authMode,
      scopesOffered: [...this.mcp.scopes],
      signedIn: identity !== undefined,
      ...(identity ? { userId: identity.userId, scopes: [...identity.scopes] } : {}),
    };
    return { content: [{ type: 'text', text: JSON.stringify(status) }], structuredContent: status };
  }
}
