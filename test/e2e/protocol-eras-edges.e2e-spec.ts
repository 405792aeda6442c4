import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client as LegacySdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacySdkTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClerkStandIn } from '../support/clerk-stand-in.js';
import { bearer, CLIENT_INFO, ERAS, rpc, send, type Era, type RpcRequest } from '../support/protocol-eras.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let clerk: ClerkStandIn;
let stateless: TestApp;
let stateful: TestApp;

beforeAll(async () => {
  clerk = await ClerkStandIn.start();
  [stateless, stateful] = await Promise.all([
    startTestApp(clerk),
    startTestApp(clerk, { MCP_SESSION_MODE: 'stateful' }),
  ]);
});
afterAll(async () => {
  await Promise.all([stateless.close(), stateful.close()]);
  await clerk.close();
});

/** The era's request for `method`, with `params` put on the wire exactly as written (own `__proto__` keys included). */
function withRawParams(era: Era, method: string, rawParams: string): RpcRequest {
  const request = rpc(era, method, { name: 'whoami' });
  const body = JSON.parse(request.body) as { params: { _meta?: unknown } };
  const meta = body.params._meta === undefined ? '' : `"_meta":${JSON.stringify(body.params._meta)},`;
  return { ...request, body: `{"jsonrpc":"2.0","id":7,"method":"${method}","params":{${meta}${rawParams.slice(1)}}` };
}

describe.each(ERAS)('protocol edges in the %s era', (era) => {
  const malformed: [string, string, string][] = [
    ['tools/call', '{"__proto__":{"name":"whoami"}}', 'tools/call needs params.name'],
    ['tools/call', '{"name":42}', 'tools/call needs params.name'],
    ['tools/call', '{"name":"whoami","arguments":"nope"}', 'params.arguments'],
    ['tools/list', '{"cursor":{"__proto__":{}}}', 'params.cursor'],
  ];
  for (const [method, params, gist] of malformed) {
    it(`answers ${method} with params ${params} with a short -32602, no validator output`, async () => {
      const answer = await send(stateless.mcpUrl, withRawParams(era, method, params), bearer(await clerk.mintJwt()));
      expect(answer.json?.id).toBe(7);
      expect(answer.json?.error?.code).toBe(-32602);
      expect(answer.json?.error?.message).toContain(gist);
      expect(answer.json?.error?.message).not.toMatch(/expected|invalid_type|\[|\n/);
    });
  }

  it('names an unknown tool once, without the SDK prefix on the wire', async () => {
    const answer = await send(
      stateless.mcpUrl,
      rpc(era, 'tools/call', { name: 'no_such_tool', arguments: {} }),
      bearer(await clerk.mintJwt()),
    );
    expect(answer.json?.error).toEqual({ code: -32602, message: 'Unknown tool: no_such_tool' });
  });
});

it('shows an unknown tool’s error with the prefix once in the SDK 1.x client', async () => {
  const client = new LegacySdkClient(CLIENT_INFO);
  await client.connect(
    new LegacySdkTransport(new URL(stateless.mcpUrl), { requestInit: { headers: bearer(await clerk.mintJwt()) } }),
  );
  try {
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(
      /^MCP error -32602: Unknown tool: no_such_tool$/,
    );
  } finally {
    await client.close();
  }
});

describe('methods /mcp does not take', () => {
  for (const [server, allow] of [
    ['stateless', 'POST, OPTIONS'],
    ['stateful', 'GET, POST, DELETE, OPTIONS'],
  ] as const) {
    it(`answers PUT and PATCH with 405 and Allow: ${allow} (${server})`, async () => {
      const app = server === 'stateful' ? stateful : stateless;
      for (const method of ['PUT', 'PATCH']) {
        const response = await fetch(app.mcpUrl, {
          method,
          headers: { 'Content-Type': 'application/json', ...bearer(await clerk.mintJwt()) },
          body: rpc('legacy', 'tools/list').body,
        });
        expect([method, response.status, response.headers.get('allow')]).toEqual([method, 405, allow]);
        expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32000);
      }
    });
  }
});

describe('stateful sessions', () => {
  it('belong to the user and the client that opened them: the same user through another client_id gets 404', async () => {
    const transport = new LegacySdkTransport(new URL(stateful.mcpUrl), {
      requestInit: { headers: bearer(await clerk.mintJwt({ clientId: 'client_first' })) },
    });
    const client = new LegacySdkClient(CLIENT_INFO);
    await client.connect(transport);
    try {
      const sessionId = transport.sessionId as string;
      const list = rpc('legacy', 'tools/list');
      const through = async (clientId: string): Promise<number> => {
        const headers = { ...list.headers, 'Mcp-Session-Id': sessionId, ...bearer(await clerk.mintJwt({ clientId })) };
        const response = await fetch(stateful.mcpUrl, { method: 'POST', headers, body: list.body });
        await response.body?.cancel();
        return response.status;
      };
      expect(await through('client_first')).toBe(200);
      expect(await through('client_second')).toBe(404);
    } finally {
      await client.close();
    }
  });
});
