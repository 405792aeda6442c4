import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { McpTool, signedInIdentity, type McpToolHandler, type ToolContext } from '../mcp/mcp-tool.js';
import { structuredResult } from './tool-result.js';

@McpTool({
  name: 'whoami',
  title: 'Who am I',
  description:
    'Returns the signed-in user id, the OAuth client id, the granted scopes and when the access token expires.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  securitySchemes: [{ type: 'oauth2' }],
  annotations: { readOnlyHint: true, openWorldHint: false },
})
export class WhoamiTool implements McpToolHandler {
  async execute(_args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult> {
    const identity = signedInIdentity(context);
    return structuredResult({
      userId: identity.userId,
      clientId: identity.clientId,
      scopes: [...identity.scopes],
      expiresAt: identity.expiresAt === null ? null : new Date(identity.expiresAt * 1000).toISOString(),
      tokenKind: identity.tokenKind,
    });
  }
}
