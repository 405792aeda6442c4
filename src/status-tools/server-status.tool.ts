import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppConfig } from '../config/app-config.js';
import { McpTool, type McpToolHandler, type ToolContext } from '../mcp/mcp.module.js';

@McpTool({
  name: 'server_status',
  title: 'Server status',
  description: 'Says whether this MCP server is up, which authorization server signs users in, the scopes it offers, and whether you are signed in. Needs no sign-in.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  securitySchemes: [{ type: 'noauth' }],
  annotations: { readOnlyHint: true, openWorldHint: false },
})
export class ServerStatusTool implements McpToolHandler {
  constructor(private readonly config: AppConfig) {}

  async execute(_args: Record<string, unknown>, { identity }: ToolContext): Promise<CallToolResult> {
    const status = {
      status: 'ok',
      resource: this.config.resourceUrl,
      authorizationServer: this.config.issuer,
      authMode: this.config.authMode,
      scopesOffered: [...this.config.scopes],
      signedIn: identity !== undefined,
      ...(identity ? { userId: identity.userId, scopes: [...identity.scopes] } : {}),
    };
    return { content: [{ type: 'text', text: JSON.stringify(status) }], structuredContent: status };
  }
}
