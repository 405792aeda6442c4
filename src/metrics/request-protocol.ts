import type { Request } from 'express';

/** The MCP protocol era of a request: 2025 (`legacy`, sessions and `initialize`) or 2026-07-28 on (`modern`). */
export type ProtocolEra = 'legacy' | 'modern';

/**
 * What the MCP endpoint learned about a request's protocol. `protocolVersion` is a version this
 * server knows, `unsupported` for any other value a client sent (so clients cannot mint label
 * values), or `unspecified` when the request named none.
 */
export interface RequestProtocol {
  era: ProtocolEra;
  protocolVersion: string;
}

const protocols = new WeakMap<Request, RequestProtocol>();

/** Noted by the MCP endpoint once it has classified a request, for the access log and the request metrics. */
export function recordRequestProtocol(request: Request, protocol: RequestProtocol): void {
  protocols.set(request, protocol);
}

/** Undefined for requests that never reached the MCP endpoint (other routes, or refused by its guards). */
export function requestProtocolOf(request: Request): RequestProtocol | undefined {
  return protocols.get(request);
}
