import { describe, expect, it } from '@jest/globals';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { classifyMcpRequest, evidentLegacyRequest } from '../../../src/mcp/protocol-eras.js';
import { requestTo } from '../../support/unit-context.js';

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'client', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

const METHODS = ['tools/call', 'tools/list', 'initialize', 'ping', 'server/discover'];
const IDS = ['1', '', 7, 0, -3, 1.5, 2 ** 53, null, true, undefined];
const PARAMS = [
  undefined,
  {},
  { name: 'whoami', arguments: {} },
  { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
  { protocolVersion: 5 },
  { _meta: {} },
  { _meta: { progressToken: 1 } },
  { _meta: MODERN_META },
  { name: 'whoami', _meta: { 'io.modelcontextprotocol/protocolVersion': '2025-11-25' } },
  { _meta: null },
  [],
  'params',
  null,
];
const VERSIONS = ['2.0', '1.0', undefined];
const EXTRAS = [{}, { extra: 1 }, { result: {} }, { error: { code: 1, message: 'm' } }];
const OTHER_BODIES = [
  [],
  [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }],
  { jsonrpc: '2.0', id: 1, result: {} },
  { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'no' } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: MODERN_META } },
  JSON.parse('{"jsonrpc":"2.0","id":1,"method":"tools/list","__proto__":{}}') as unknown,
  {},
  null,
  'text',
  42,
  undefined,
];
const HEADERS = [
  undefined,
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
  '2026-07-28',
  '2027-01-01',
  ' 2025-11-25',
  '2025-11-25 ',
  'garbage',
  '',
];

function* bodies(): Generator<unknown> {
  for (const method of METHODS)
    for (const id of IDS)
      for (const params of PARAMS)
        for (const jsonrpc of VERSIONS)
          for (const extra of EXTRAS) {
            const body: Record<string, unknown> = { ...extra, method };
            if (jsonrpc !== undefined) body.jsonrpc = jsonrpc;
            if (id !== undefined) body.id = id;
            if (params !== undefined) body.params = params;
            yield body;
          }
  yield* OTHER_BODIES;
}

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
