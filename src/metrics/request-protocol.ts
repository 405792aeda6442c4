import type { IncomingMessage } from 'node:http';

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

/**
 * Kept on the request itself under a symbol of this module's own: a property the request already
 * carries costs less to set and read than an entry in a WeakMap keyed by every request.
 */
const PROTOCOL = Symbol('requestProtocol');
type ProtocolCarrier = IncomingMessage & { [PROTOCOL]?: RequestProtocol };

/** Noted by the MCP endpoint once it has classified a request, for the access log and the request metrics. */
export function recordRequestProtocol(request: IncomingMessage, protocol: RequestProtocol): void {
  (request as ProtocolCarrier)[PROTOCOL] = protocol;
}

/** Undefined for requests that never reached the MCP endpoint (other routes, or refused by its guards). */
export function requestProtocolOf(request: IncomingMessage): RequestProtocol | undefined {
  return (request as ProtocolCarrier)[PROTOCOL];
}
