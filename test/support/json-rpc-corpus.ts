/**
 * JSON-RPC bodies and MCP-Protocol-Version headers, valid and not, for tests that hold a shortcut of ours
 * to the SDKs' own verdicts: every combination of method, id, params, `jsonrpc` and stray members, and
 * bodies of the other message kinds.
 */
export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'client', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

const METHODS = ['tools/call', 'tools/list', 'initialize', 'ping', 'server/discover'];
const IDS = ['1', '', 7, 0, -3, 1.5, 2 ** 53, null, true, undefined];
export const PARAMS = [
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
export const OTHER_BODIES = [
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
export const HEADERS = [
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

export function* bodies(): Generator<unknown> {
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
