import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  Client as ModernSdkClient,
  PROTOCOL_VERSION_META_KEY,
  StreamableHTTPClientTransport as ModernSdkTransport,
} from '@modelcontextprotocol/client';

export type Era = 'legacy' | 'modern';
export const ERAS: readonly Era[] = ['legacy', 'modern'];

export const MODERN_VERSION = '2026-07-28';
export const LEGACY_VERSION = '2025-11-25';

/** What a client sends as its identity in the 2026-07-28 `_meta` envelope. */
export const CLIENT_INFO = { name: 'e2e', version: '1.0.0' };

/** The 2026-07-28 per-request `_meta` envelope for `version` (default: the modern one). */
export function envelope(version = MODERN_VERSION): Record<string, unknown> {
  return {
    [PROTOCOL_VERSION_META_KEY]: version,
    [CLIENT_INFO_META_KEY]: CLIENT_INFO,
    [CLIENT_CAPABILITIES_META_KEY]: {},
  };
}

export interface RpcRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * A JSON-RPC request exactly as a client of that era puts it on the wire: a 2025 client after
 * initialize (version header, plain params), or a 2026-07-28 one (version, method and name headers,
 * and the envelope in `params._meta`).
 */
export function rpc(
  era: Era,
  method: string,
  params: Record<string, unknown> = {},
  id: string | number = 1,
): RpcRequest {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
  };
  if (era === 'legacy')
    return {
      headers: { ...headers, 'MCP-Protocol-Version': LEGACY_VERSION },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    };
  const meta = { ...(params._meta as Record<string, unknown> | undefined), ...envelope() };
  const name: Record<string, string> = typeof params.name === 'string' ? { 'Mcp-Name': params.name } : {};
  return {
    headers: { ...headers, 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': method, ...name },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } }),
  };
}

export interface RpcAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when there is none. */
  json: RpcBody | undefined;
}

export interface RpcBody {
  id?: string | number | null;
  result?: Record<string, unknown> & {
    tools?: Record<string, unknown>[];
    isError?: boolean;
    _meta?: Record<string, unknown>;
    structuredContent?: Record<string, unknown>;
  };
  error?: { code: number; message: string; data?: Record<string, unknown> };
  [field: string]: unknown;
}

/** Sends a request and reads its JSON answer; `extraHeaders` override the era's own headers. */
export async function send(
  url: string,
  request: RpcRequest,
  extraHeaders: Record<string, string> = {},
): Promise<RpcAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...request.headers, ...extraHeaders },
    body: request.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as RpcBody) : undefined };
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/**
 * The SDK 2.x client with a fixed token, negotiating as `mode` says. Without an OAuth provider a 403
 * surfaces as InsufficientScopeError.
 */
export async function connectModernSdkClient(
  url: string,
  token: string,
  mode: 'legacy' | 'auto' | { pin: string },
): Promise<ModernSdkClient> {
  const client = new ModernSdkClient(CLIENT_INFO, { versionNegotiation: { mode } });
  await client.connect(new ModernSdkTransport(new URL(url), { requestInit: { headers: bearer(token) } }));
  return client;
}
