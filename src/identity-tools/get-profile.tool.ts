import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { McpTool, signedInIdentity, type McpToolHandler, type ToolContext } from '../mcp/mcp-tool.js';
import { notFoundResult, structuredResult } from './tool-result.js';
import { UserProfiles } from '../providers/user-profiles.js';

@McpTool({
  name: 'get_profile',
  title: 'Get my profile',
  description: "Returns the signed-in user's name, username and profile image.",
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  securitySchemes: [{ type: 'oauth2', scopes: ['profile'] }],
  annotations: { readOnlyHint: true, openWorldHint: false },
})
export class GetProfileTool implements McpToolHandler {
  constructor(private readonly profiles: UserProfiles) {}

  async execute(_args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult> {
    const identity = signedInIdentity(context);
    const user = await this.profiles.find(identity);
    if (!user) return notFoundResult(identity.userId);
    return structuredResult({
      userId: user.userId,
      name: user.name,
      firstName: user.firstName,
      lastName: user.lastName,
      username: user.username,
      imageUrl: user.imageUrl,
    });
  }
}
