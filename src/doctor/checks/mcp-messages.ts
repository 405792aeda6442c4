import { asObject, jsonObject } from '../http.js';

export const LEGACY_VERSION = '2025-11-25';
export const MODERN_VERSION = '2026-07-28';
export const CLIENT_INFO = { name: 'nest-mcp-oauth-doctor', version: '1' };

const ACCEPT = 'application/json, text/event-stream';

export interface McpRequest {
  headers: Record<string, string>;
  body: string;
}

/** A 2025-era JSON-RPC request: no envelope; MCP-Protocol-Version once negotiated (not on initialize). */
export function legacyRequest(
  id: number | string,
  method: string,
  params: Record<string, unknown>,
  negotiated?: string,
): McpRequest {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: ACCEPT };
  if (negotiated) headers['MCP-Protocol-Version'] = negotiated;
  return { headers, body: JSON.stringify({ jsonrpc: '2.0', id, method, params }) };
}

/** The 2025-11-25 opening request, as every legacy client sends it first. */
export const initializeRequest = (id: number): McpRequest =>
  legacyRequest(id, 'initialize', { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: CLIENT_INFO });

export function legacyNotification(method: string, negotiated: string): McpRequest {
  return {
    headers: { 'Content-Type': 'application/json', Accept: ACCEPT, 'MCP-Protocol-Version': negotiated },
    body: JSON.stringify({ jsonrpc: '2.0', method }),
  };
}

/**
 * A 2026-07-28 request: the `_meta` envelope (protocol version, client info, per-request client
 * capabilities) plus the headers the transport requires to mirror it: MCP-Protocol-Version equal
 * to the envelope's, Mcp-Method, and Mcp-Name for tools/call.
 */
export function modernRequest(id: number | string, method: string, params: Record<string, unknown> = {}): McpRequest {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: ACCEPT,
    'MCP-Protocol-Version': MODERN_VERSION,
    'Mcp-Method': method,
  };
  if (method === 'tools/call' && typeof params.name === 'string') headers['Mcp-Name'] = params.name;
  const _meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  return { headers, body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta } }) };
}

export interface JsonRpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/**
 * The JSON-RPC response with this id, from a JSON body or an SSE stream (the stream of a POST
 * ends after its response, so the whole body is at hand).
 */
export function jsonRpcAnswer(
  contentType: string | null,
  body: string,
  id: number | string,
): JsonRpcAnswer | undefined {
  const messages = (contentType ?? '').includes('text/event-stream') ? sseData(body) : [body];
  for (const message of messages) {
    const parsed = jsonObject(message);
    if (parsed?.id !== id) continue;
    const error = asObject(parsed.error);
    if (error) return { error: { code: Number(error.code), message: String(error.message) } };
    return { result: asObject(parsed.result) ?? {} };
  }
  return undefined;
}

function sseData(body: string): string[] {
  return body
    .split(/\r?\n\r?\n/)
    .map((event) =>
      event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data.length > 0);
}

/** A JSON-RPC error in a body that is not a matching response (e.g. a 400 with `id: null`). */
export function anyJsonRpcError(body: string): string | undefined {
  const error = asObject(jsonObject(body)?.error);
  return error ? `${String(error.code)} ${String(error.message)}` : undefined;
}
