import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { VerifiedIdentity } from '../auth/verified-identity.js';
import { McpTool, signedInIdentity, type McpToolHandler, type ToolContext } from '../mcp/mcp-tool.js';
import { structuredResult } from './tool-result.js';

/** What of an answer is the same on every call for one identity, and dear to work out: a date and the JSON text. */
interface Rendered {
  expiresAt: string | null;
  text: string;
}

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
  /**
   * Per identity, which the verifier keeps (and reuses) for as long as it trusts the token: formatting
   * the date and the text were most of what a call cost. Each answer is still an object of its own.
   */
  private readonly rendered = new WeakMap<VerifiedIdentity, Rendered>();

  async execute(_args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult> {
    const identity = signedInIdentity(context);
    const { expiresAt, text } = this.rendered.get(identity) ?? this.render(identity);
    return structuredResult(answerOf(identity, expiresAt), text);
  }

  private render(identity: VerifiedIdentity): Rendered {
    const expiresAt = identity.expiresAt === null ? null : new Date(identity.expiresAt * 1000).toISOString();
    const rendered = { expiresAt, text: JSON.stringify(answerOf(identity, expiresAt)) };
    this.rendered.set(identity, rendered);
    return rendered;
  }
}

/** The answer's data: a new object on every call, so that no caller can change another's. */
function answerOf(identity: VerifiedIdentity, expiresAt: string | null): Record<string, unknown> {
  return {
    userId: identity.userId,
    clientId: identity.clientId,
    scopes: [...identity.scopes],
    expiresAt,
    tokenKind: identity.tokenKind,
  };
}
