import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { McpTool, signedInIdentity, type McpToolHandler, type ToolContext } from '../mcp/mcp-tool.js';
import { notFoundResult, structuredResult } from './tool-result.js';
import { UserProfiles } from '../providers/user-profiles.js';

@McpTool({
  name: 'get_email',
  title: 'Get my email address',
  description: "Returns the signed-in user's primary email address and whether it is verified.",
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  securitySchemes: [{ type: 'oauth2', scopes: ['email'] }],
  annotations: { readOnlyHint: true, openWorldHint: false },
})
export class GetEmailTool implements McpToolHandler {
  constructor(private readonly profiles: UserProfiles) {}

  async execute(_args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult> {
    const identity = signedInIdentity(context);
    const user = await this.profiles.find(identity);
    if (!user) return notFoundResult(identity.userId);
    return structuredResult({ userId: user.userId, email: user.email, verified: user.emailVerified });
  }
}
