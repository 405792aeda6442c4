import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ClerkBackendApi } from '../clerk/clerk-backend-api.js';
import { McpTool, type McpToolHandler, type ToolContext } from '../mcp/mcp.module.js';
import { notFoundResult, structuredResult } from './tool-result.js';

@McpTool({
  name: 'get_email',
  title: 'Get my email address',
  description: "Returns the signed-in user's primary email address and whether it is verified.",
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  requiredScopes: ['email'],
  annotations: { readOnlyHint: true, openWorldHint: false },
})
export class GetEmailTool implements McpToolHandler {
  constructor(private readonly clerk: ClerkBackendApi) {}

  async execute(_args: Record<string, unknown>, { identity }: ToolContext): Promise<CallToolResult> {
    const user = await this.clerk.getUser(identity.userId);
    if (!user) return notFoundResult(identity.userId);
    const primary = user.primaryEmailAddress;
    return structuredResult({
      userId: user.id,
      email: primary?.emailAddress ?? null,
      verified: primary?.verification?.status === 'verified',
    });
  }
}
