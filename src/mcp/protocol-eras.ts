import { SUPPORTED_PROTOCOL_VERSIONS as LEGACY_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import {
  classifyInboundRequest,
  type InboundClassificationOutcome,
  type InboundLegacyRoute,
} from '@modelcontextprotocol/server';
import type { Request } from 'express';
import type { ProtocolEra, RequestProtocol } from '../metrics/request-protocol.js';
import { isPlainJsonRpcRequest, isPlainObject } from './plain-json-rpc-request.js';

/** The first version of the modern era; later versions compare greater (they are dates). */
const FIRST_MODERN_VERSION = '2026-07-28';

/**
 * The modern versions SDK 2.x serves. Its package does not export this list; should it grow, the
 * handler refuses the versions missing here with -32022 until they are added.
 */
const MODERN_PROTOCOL_VERSIONS = [FIRST_MODERN_VERSION];

/** Every protocol version this server answers, newest first: the modern ones (SDK 2.x), then 2025's (SDK 1.x). */
export const SERVED_PROTOCOL_VERSIONS: readonly string[] = Object.freeze([
  ...MODERN_PROTOCOL_VERSIONS,
  ...LEGACY_PROTOCOL_VERSIONS,
]);

const SERVED = new Set(SERVED_PROTOCOL_VERSIONS);
const SERVED_MODERN = new Set(MODERN_PROTOCOL_VERSIONS);

/** Whether a version belongs to the modern era, including modern versions this server does not know yet. */
export const isModernVersion = (version: string | undefined): version is string =>
  version !== undefined && version >= FIRST_MODERN_VERSION;

/** A modern version newer than any this server serves: it is answered with the list of versions we do serve. */
export const isUnservedModernVersion = (version: string | undefined): version is string =>
  isModernVersion(version) && !SERVED_MODERN.has(version);

/** How the MCP endpoint serves one request, with the era and version for logs and metrics. */
export interface ClassifiedMcpRequest extends RequestProtocol {
  /**
   * The official SDK's verdict; anything but `legacy` is the modern handler's to answer, rejections
   * included. Left unasked for a POST that is evidently the modern handler's (see
   * {@link isEvidentlyModern}), which that handler classifies itself; {@link sdkVerdict} asks for it
   * where it must be known after all.
   */
  outcome?: InboundClassificationOutcome;
}

/**
 * Classifies a request with the SDK's own classifier, from the body Express already parsed: the
 * body's `_meta` envelope decides the era, and requests the classifier refuses are the modern
 * handler's to answer, as the SDK asks. GET and DELETE always classify `legacy`; one that names a
 * modern version in its header is counted as modern, because modern clients get 405 for it.
 */
export function classifyMcpRequest(request: Request, body: unknown): ClassifiedMcpRequest {
  const protocolVersionHeader = request.header('mcp-protocol-version');
  const isPost = request.method === 'POST';
  if (isPost && isEvidentlyModern(protocolVersionHeader, body))
    return { era: 'modern', protocolVersion: protocolVersionHeader };
  const outcome = (isPost ? evidentLegacyRequest(protocolVersionHeader, body) : undefined) ?? sdkVerdict(request, body);
  const era: ProtocolEra =
    outcome.kind !== 'legacy' || (outcome.reason === 'http-method' && isModernVersion(protocolVersionHeader))
      ? 'modern'
      : 'legacy';
  return { outcome, era, protocolVersion: versionLabel(claimedVersion(outcome) ?? protocolVersionHeader) };
}

/** The official SDK's classifier, asked about a request with the body Express already parsed. */
export function sdkVerdict(request: Request, body: unknown): InboundClassificationOutcome {
  return classifyInboundRequest({
    httpMethod: request.method,
    protocolVersionHeader: request.header('mcp-protocol-version'),
    mcpMethodHeader: request.header('mcp-method'),
    mcpNameHeader: request.header('mcp-name'),
    body,
  });
}

/**
 * Whether a POST is the modern handler's whatever the SDK's classifier would say of it, and counted
 * under the version its header names: a JSON-RPC request or notification (an object with a string
 * `method`, so never a response, which the classifier would route legacy) that names, exactly, the
 * modern version we serve in its header. The classifier can only route it modern, with the header's
 * version (a different version in the envelope is refused), or refuse it, which is the modern
 * handler's to answer too. The handler classifies every request itself, so it is not asked twice;
 * what the classifier's verdict alone decides here (whether malformed params get our short -32602
 * or the SDK's refusal first) asks for it then. A unit test holds this to the classifier's verdicts.
 */
export function isEvidentlyModern(
  protocolVersionHeader: string | undefined,
  body: unknown,
): protocolVersionHeader is string {
  return (
    protocolVersionHeader !== undefined &&
    SERVED_MODERN.has(protocolVersionHeader) &&
    isPlainObject(body) &&
    typeof body.method === 'string'
  );
}

/** A version as a 2025 client sends it: a date before the modern era, with nothing for the SDK to trim. */
const LEGACY_VERSION_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The SDK classifier's verdict on the commonest POST of all, a 2025 request, reached without it.
 * The classifier first tries every body as a JSON-RPC response and as an error, and those failed
 * zod parses cost more than anything else the endpoint does for a tools/call. A request in exactly
 * the SDK's JSON-RPC request shape whose params carry no `_meta` at all ({@link isPlainJsonRpcRequest})
 * cannot claim the modern envelope; with no modern version in its header the classifier's rules
 * can only route it legacy: as
 * `initialize` (with the version its params name) or as carrying no claim (with the header's
 * version). Anything else, `_meta` included, goes to the classifier. A unit test holds this answer
 * equal to the classifier's over a corpus of bodies and headers.
 */
export function evidentLegacyRequest(
  protocolVersionHeader: string | undefined,
  body: unknown,
): InboundLegacyRoute | undefined {
  if (protocolVersionHeader !== undefined)
    if (!LEGACY_VERSION_SHAPE.test(protocolVersionHeader) || isModernVersion(protocolVersionHeader)) return undefined;
  if (!isPlainJsonRpcRequest(body)) return undefined;
  if (body.method === 'initialize') {
    const requestedVersion = body.params?.protocolVersion;
    return typeof requestedVersion === 'string'
      ? { kind: 'legacy', reason: 'initialize', requestedVersion }
      : { kind: 'legacy', reason: 'initialize' };
  }
  return protocolVersionHeader === undefined
    ? { kind: 'legacy', reason: 'no-claim' }
    : { kind: 'legacy', reason: 'no-claim', requestedVersion: protocolVersionHeader };
}

function claimedVersion(outcome: InboundClassificationOutcome): string | undefined {
  if (outcome.kind === 'modern') return outcome.classification.revision;
  return outcome.kind === 'legacy' ? outcome.requestedVersion : undefined;
}

/** Client-sent values become label values only when they are versions we know, so the set of series stays bounded. */
function versionLabel(version: string | undefined): string {
  if (version === undefined) return 'unspecified';
  return SERVED.has(version) ? version : 'unsupported';
}
