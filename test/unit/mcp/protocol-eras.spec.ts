import { describe, expect, it } from '@jest/globals';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { classifyMcpRequest, evidentLegacyRequest } from '../../../src/mcp/protocol-eras.js';
import { bodies, HEADERS, MODERN_META, OTHER_BODIES, PARAMS } from '../../support/json-rpc-corpus.js';
import { requestTo } from '../../support/unit-context.js';

const sdkVerdict = (httpMethod: string, header: string | undefined, body: unknown) =>
  classifyInboundRequest({ httpMethod, protocolVersionHeader: header, body });

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

  it('gives the SDK verdict and the era for every method and body', () => {
    for (const httpMethod of ['POST', 'GET', 'DELETE'])
      for (const header of HEADERS)
        for (const body of [...OTHER_BODIES, { jsonrpc: '2.0', id: 1, method: 'tools/list' }]) {
          const request = requestTo('/mcp', header === undefined ? {} : { 'MCP-Protocol-Version': header }, {
            method: httpMethod,
          });
          const classified = classifyMcpRequest(request, body);
          const sdk = sdkVerdict(httpMethod, header, body);
          expect(classified.outcome).toStrictEqual(sdk);
          const modern =
            sdk.kind !== 'legacy' || (sdk.reason === 'http-method' && header !== undefined && header >= '2026-07-28');
          expect(classified.era).toBe(modern ? 'modern' : 'legacy');
        }
  });
});
