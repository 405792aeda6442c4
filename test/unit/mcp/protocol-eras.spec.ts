import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { classifyInboundRequest, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import {
  classifyMcpRequest,
  evidentLegacyRequest,
  isEvidentlyModern,
  SERVED_PROTOCOL_VERSIONS,
} from '../../../src/mcp/protocol-eras.js';
import { bodies, HEADERS, MODERN_META, PARAMS } from '../../support/json-rpc-corpus.js';
import { requestTo } from '../../support/unit-context.js';

const sdkVerdict = (httpMethod: string, header: string | undefined, body: unknown) =>
  classifyInboundRequest({ httpMethod, protocolVersionHeader: header, body });

/** The version label the endpoint gives for the SDK's verdict: the version claimed, else the header's. */
function versionLabel(sdk: InboundClassificationOutcome, header: string | undefined): string {
  const claimed =
    sdk.kind === 'modern' ? sdk.classification.revision : sdk.kind === 'legacy' ? sdk.requestedVersion : undefined;
  const version = claimed ?? header;
  if (version === undefined) return 'unspecified';
  return SERVED_PROTOCOL_VERSIONS.includes(version) ? version : 'unsupported';
}

describe('protocol era classification', () => {
  it('answers without the SDK only where the SDK would answer the same', () => {
    let answered = 0;
    let declined = 0;
    for (const header of HEADERS)
      for (const body of bodies()) {
        const evident = evidentLegacyRequest(header, body);
        if (evident === undefined) declined += 1;
        else {
          answered += 1;
          expect(evident).toStrictEqual(sdkVerdict('POST', header, body));
        }
      }
    // Both sides of the corpus are exercised.
    expect(answered).toBeGreaterThan(500);
    expect(declined).toBeGreaterThan(5000);
  });

  it('answers the plain 2025 requests itself, and leaves anything that may be modern to the SDK', () => {
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
    expect(evidentLegacyRequest('2025-11-25', call)).toStrictEqual({
      kind: 'legacy',
      reason: 'no-claim',
      requestedVersion: '2025-11-25',
    });
    const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: PARAMS[3] };
    expect(evidentLegacyRequest(undefined, initialize)).toStrictEqual({
      kind: 'legacy',
      reason: 'initialize',
      requestedVersion: '2025-06-18',
    });
    expect(evidentLegacyRequest('2026-07-28', call)).toBeUndefined();
    expect(
      evidentLegacyRequest('2025-11-25', { ...call, params: { ...call.params, _meta: MODERN_META } }),
    ).toBeUndefined();
    expect(evidentLegacyRequest(undefined, [call])).toBeUndefined();
  });

  it('gives the SDK verdict, or leaves to the modern handler what only it answers, with the era and version', () => {
    const disagreements: string[] = [];
    let unasked = 0;
    for (const httpMethod of ['POST', 'GET'])
      for (const header of HEADERS)
        for (const body of bodies()) {
          const request = requestTo('/mcp', header === undefined ? {} : { 'MCP-Protocol-Version': header }, {
            method: httpMethod,
          });
          const classified = classifyMcpRequest(request, body);
          const sdk = sdkVerdict(httpMethod, header, body);
          // Unasked only where the SDK routes to the modern handler too, whether to serve or to refuse.
          if (classified.outcome === undefined) unasked += 1;
          const verdictAgrees =
            classified.outcome === undefined ? sdk.kind !== 'legacy' : isDeepStrictEqual(classified.outcome, sdk);
          const modern =
            sdk.kind !== 'legacy' || (sdk.reason === 'http-method' && header !== undefined && header >= '2026-07-28');
          if (
            !verdictAgrees ||
            classified.era !== (modern ? 'modern' : 'legacy') ||
            classified.protocolVersion !== versionLabel(sdk, header)
          )
            disagreements.push(`${httpMethod} ${String(header)} ${JSON.stringify(body)}`);
        }
    expect(disagreements).toEqual([]);
    expect(unasked).toBeGreaterThan(1000);
  });

  it('leaves to the modern handler only requests and notifications naming the served modern version', () => {
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', _meta: MODERN_META } };
    expect(isEvidentlyModern('2026-07-28', call)).toBe(true);
    expect(isEvidentlyModern('2026-07-28', { jsonrpc: '2.0', method: 'notifications/initialized' })).toBe(true);
    expect(isEvidentlyModern('2027-01-01', call)).toBe(false);
    expect(isEvidentlyModern(' 2026-07-28', call)).toBe(false);
    expect(isEvidentlyModern(undefined, call)).toBe(false);
    expect(isEvidentlyModern('2026-07-28', [call])).toBe(false);
    expect(isEvidentlyModern('2026-07-28', { jsonrpc: '2.0', id: 1, result: {} })).toBe(false);
  });
});
