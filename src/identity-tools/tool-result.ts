import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A structured result with the same data as JSON text, for clients that read only `content`. */
export function structuredResult(data: Record<string, unknown>, text = JSON.stringify(data)): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: data };
}

export function notFoundResult(userId: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `The directory has no user ${userId}.` }] };
}
