import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClerkStandIn } from '../support/clerk-stand-in.js';
import {
  bearer,
  envelope,
  ERAS,
  MODERN_VERSION,
  rpc,
  send,
  type Era,
  type RpcRequest,
} from '../support/protocol-eras.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const listTools = (era: Era): RpcRequest => rpc(era, 'tools/list');
const callTool = (era: Era, name: string, extra: Record<string, unknown> = {}): RpcRequest =>
  rpc(era, 'tools/call', { name, arguments: {}, ...extra });

/** The applications the cases run against, each configured one way, sharing one Clerk stand-in. */
const apps = {
  clerk: undefined as unknown as ClerkStandIn,
  required: undefined as unknown as TestApp,
  /** Mixed auth, unauthorized tools hidden, and a tools/list TTL of its own. */
  mixedHidden: undefined as unknown as TestApp,
  /** Three requests per user and window, 2 KiB bodies. */
  limited: undefined as unknown as TestApp,
  stateful: undefined as unknown as TestApp,
};

beforeAll(async () => {
  apps.clerk = await ClerkStandIn.start();
  [apps.required, apps.mixedHidden, apps.limited, apps.stateful] = await Promise.all([
    startTestApp(apps.clerk),
    startTestApp(apps.clerk, {
      MCP_AUTH_MODE: 'mixed',
      MCP_HIDE_UNAUTHORIZED_TOOLS: 'true',
      MCP_LIST_TTL_SECONDS: '5',
    }),
    startTestApp(apps.clerk, { RATE_LIMIT_PER_USER: '3', BODY_LIMIT_BYTES: '2048' }),
    startTestApp(apps.clerk, { MCP_SESSION_MODE: 'stateful' }),
  ]);
});
afterAll(async () => {
  await Promise.all([apps.required.close(), apps.mixedHidden.close(), apps.limited.close(), apps.stateful.close()]);
  await apps.clerk.close();
});

const token = (options: Parameters<ClerkStandIn['mintJwt']>[0] = {}): Promise<string> => apps.clerk.mintJwt(options);
const prmUrl = (server: TestApp): string => `${server.baseUrl}/.well-known/oauth-protected-resource/mcp`;

describe.each(ERAS)('auth answers the same in the %s era', (era) => {
  it('answers no token with the exact 401 challenge', async () => {
    const answer = await send(apps.required.mcpUrl, listTools(era));
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${prmUrl(apps.required)}", scope="profile email"`,
    );
    expect(answer.json).toEqual({ error: 'unauthorized', error_description: 'A bearer access token is required.' });
  });

  it('answers a tool call lacking a scope with 403 insufficient_scope naming every scope the client needs', async () => {
    const answer = await send(
      apps.required.mcpUrl,
      callTool(era, 'get_email'),
      bearer(await token({ scopes: ['profile'] })),
    );
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${prmUrl(apps.required)}", scope="profile email", error="insufficient_scope", error_description="get_email needs the scope email."`,
    );
  });

  it('refuses a token issued for another resource with 401 invalid_token', async () => {
    const answer = await send(
      apps.required.mcpUrl,
      listTools(era),
      bearer(await token({ aud: 'https://other.example.com/mcp' })),
    );
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(
      /error="invalid_token", error_description="[^"]*another resource/,
    );
  });

  it('lists every tool with its security schemes at the top and mirrored in _meta', async () => {
    const answer = await send(apps.required.mcpUrl, listTools(era), bearer(await token()));
    expect(answer.status).toBe(200);
    const tools = answer.json?.result?.tools ?? [];
    expect(Object.fromEntries(tools.map((tool) => [tool.name, tool.securitySchemes]))).toEqual({
      whoami: [{ type: 'oauth2' }],
      get_profile: [{ type: 'oauth2', scopes: ['profile'] }],
      get_email: [{ type: 'oauth2', scopes: ['email'] }],
      server_status: [{ type: 'noauth' }],
    });
    for (const tool of tools)
      expect((tool._meta as Record<string, unknown>).securitySchemes).toEqual(tool.securitySchemes);
  });

  it('runs tools with the same identity and scopes', async () => {
    const answer = await send(
      apps.required.mcpUrl,
      callTool(era, 'whoami'),
      bearer(await token({ clientId: 'client_eras' })),
    );
    expect(answer.json?.result?.structuredContent).toMatchObject({
      userId: apps.clerk.defaultUser.id,
      clientId: 'client_eras',
      scopes: ['profile', 'email'],
      tokenKind: 'jwt',
    });
  });

  it('mixed mode: answers an anonymous call to a protected tool with the mcp/www_authenticate challenge', async () => {
    const answer = await send(apps.mixedHidden.mcpUrl, callTool(era, 'get_email'));
    expect(answer.status).toBe(200);
    expect(answer.json?.result?.isError).toBe(true);
    expect(answer.json?.result?._meta?.['mcp/www_authenticate']).toEqual([
      `Bearer resource_metadata="${prmUrl(apps.mixedHidden)}", scope="profile email", error="insufficient_scope", error_description="Sign in to use get_email."`,
    ]);
    const lacking = await send(
      apps.mixedHidden.mcpUrl,
      callTool(era, 'get_email'),
      bearer(await token({ scopes: ['profile'] })),
    );
    expect(lacking.json?.result?._meta?.['mcp/www_authenticate']).toEqual([
      `Bearer resource_metadata="${prmUrl(apps.mixedHidden)}", scope="profile email", error="insufficient_scope", error_description="get_email needs the scope email."`,
    ]);
  });

  it('hides the tools a caller may not call when configured to', async () => {
    const anonymous = await send(apps.mixedHidden.mcpUrl, listTools(era));
    expect(anonymous.json?.result?.tools?.map((tool) => tool.name)).toEqual(['server_status']);
    const signedIn = await send(apps.mixedHidden.mcpUrl, listTools(era), bearer(await token({ scopes: ['profile'] })));
    expect(signedIn.json?.result?.tools?.map((tool) => tool.name).sort()).toEqual([
      'get_profile',
      'server_status',
      'whoami',
    ]);
  });

  it('refuses a foreign Origin and a foreign Host with 403', async () => {
    const origin = await send(apps.required.mcpUrl, listTools(era), {
      Origin: 'https://evil.example.com',
      ...bearer(await token()),
    });
    expect(origin.status).toBe(403);
    expect(origin.json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringContaining('evil.example.com') },
      id: null,
    });
    const request = listTools(era);
    const hostStatus = await new Promise<number>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: '127.0.0.1',
          port: new URL(apps.required.baseUrl).port,
          path: '/mcp',
          method: 'POST',
          headers: { ...request.headers, Host: 'rebound.evil.example.com' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
    expect(hostStatus).toBe(403);
  });

  it('rate limits each user with 429 and Retry-After', async () => {
    const userToken = await token({ sub: `user_rate_${era}` });
    for (let i = 0; i < 3; i++)
      expect((await send(apps.limited.mcpUrl, listTools(era), bearer(userToken))).status).toBe(200);
    const refused = await send(apps.limited.mcpUrl, listTools(era), bearer(userToken));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringMatching(/^Too many requests/) },
      id: null,
    });
  });

  it('refuses a body over BODY_LIMIT_BYTES with 413 and a JSON-RPC error', async () => {
    const answer = await send(
      apps.limited.mcpUrl,
      callTool(era, 'whoami', { _meta: { padding: 'x'.repeat(3000) } }),
      bearer(await token({ sub: `user_body_${era}` })),
    );
    expect(answer.status).toBe(413);
    expect(answer.json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32600, message: expect.stringContaining('2048 bytes') },
      id: null,
    });
  });
});

describe('the 2026-07-28 rules', () => {
  /** A modern tools/call with one thing changed. */
  const modernCall = (headers: Record<string, string | undefined>, meta = envelope()): RpcRequest => {
    const request = callTool('modern', 'whoami');
    const body = JSON.parse(request.body) as { params: Record<string, unknown> };
    body.params._meta = meta;
    const merged = { ...request.headers, ...headers };
    return {
      headers: Object.fromEntries(
        Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      body: JSON.stringify(body),
    };
  };
  const expectRejection = async (request: RpcRequest, code: number, message: RegExp): Promise<void> => {
    const answer = await send(apps.required.mcpUrl, request, bearer(await token()));
    expect([answer.status, answer.json?.error?.code]).toEqual([400, code]);
    expect(answer.json?.error?.message).toMatch(message);
    expect(answer.json?.id).toBe(1);
  };

  it('refuses an Mcp-Method that differs from the body, or none, with -32020', async () => {
    await expectRejection(modernCall({ 'Mcp-Method': 'tools/list' }), -32020, /Mcp-Method header names tools\/list/);
    await expectRejection(modernCall({ 'Mcp-Method': undefined }), -32020, /Mcp-Method header is absent/);
  });

  it('refuses an Mcp-Name that differs from the tool called with -32020', async () => {
    await expectRejection(modernCall({ 'Mcp-Name': 'get_email' }), -32020, /Mcp-Name header names "get_email"/);
  });

  it('refuses an MCP-Protocol-Version header that differs from _meta with -32020, and a missing one', async () => {
    await expectRejection(
      modernCall({ 'MCP-Protocol-Version': '2025-11-25' }),
      -32020,
      /envelope names protocol version 2026-07-28/,
    );
    await expectRejection(
      modernCall({ 'MCP-Protocol-Version': undefined }),
      -32020,
      /MCP-Protocol-Version header is absent/,
    );
  });

  it('refuses the modern header without the envelope with -32602', async () => {
    await expectRejection(modernCall({}, { progressToken: 1 }), -32602, /missing the required per-request envelope/);
  });

  it('answers a modern initialize with -32601: the modern era opens with server/discover', async () => {
    const answer = await send(
      apps.required.mcpUrl,
      rpc('modern', 'initialize', { protocolVersion: MODERN_VERSION }),
      bearer(await token()),
    );
    expect(answer.json?.error?.code).toBe(-32601);
  });

  it('answers a future version with -32022 listing every version it serves, never a 500', async () => {
    const answer = await send(
      apps.required.mcpUrl,
      modernCall({ 'MCP-Protocol-Version': '2027-03-01' }, envelope('2027-03-01')),
      bearer(await token()),
    );
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: {
        code: -32022,
        message: expect.stringContaining('2027-03-01'),
        data: {
          supported: [MODERN_VERSION, '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'],
          requested: '2027-03-01',
        },
      },
    });
  });

  it('ignores Mcp-Session-Id, and never sends one, even in stateful mode', async () => {
    const sessionToken = await token();
    const modern = await send(apps.stateful.mcpUrl, listTools('modern'), {
      'Mcp-Session-Id': 'no-such-session',
      ...bearer(sessionToken),
    });
    expect(modern.status).toBe(200);
    expect(modern.headers.get('mcp-session-id')).toBeNull();
    const legacy = await send(apps.stateful.mcpUrl, listTools('legacy'), {
      'Mcp-Session-Id': 'no-such-session',
      ...bearer(sessionToken),
    });
    expect(legacy.status).toBe(404);
  });

  for (const mode of ['stateless', 'stateful'] as const) {
    it(`answers GET and DELETE with the modern header with 405 and Allow (${mode})`, async () => {
      const server = mode === 'stateful' ? apps.stateful : apps.required;
      for (const method of ['GET', 'DELETE']) {
        const response = await fetch(server.mcpUrl, {
          method,
          headers: { 'MCP-Protocol-Version': MODERN_VERSION, Accept: 'text/event-stream', ...bearer(await token()) },
        });
        expect([method, response.status, response.headers.get('allow')]).toEqual([method, 405, 'POST, OPTIONS']);
        expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32000);
      }
    });
  }

  it('marks tools/list cacheable by anyone, with the configured TTL, when everyone sees the same list', async () => {
    const answer = await send(apps.required.mcpUrl, listTools('modern'), bearer(await token()));
    expect(answer.json?.result).toMatchObject({ resultType: 'complete', ttlMs: 60_000, cacheScope: 'public' });
  });

  it('marks tools/list private when what a caller sees depends on who it is (hidden tools)', async () => {
    const answer = await send(apps.mixedHidden.mcpUrl, listTools('modern'));
    expect(answer.json?.result).toMatchObject({ ttlMs: 5_000, cacheScope: 'private' });
    const legacy = await send(apps.mixedHidden.mcpUrl, listTools('legacy'));
    expect(legacy.json?.result).not.toHaveProperty('cacheScope');
  });

  it('lets browsers send the modern headers cross-origin', async () => {
    const response = await fetch(apps.required.mcpUrl, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://chatgpt.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,mcp-protocol-version,mcp-method,mcp-name',
      },
    });
    expect(response.status).toBe(204);
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'mcp-protocol-version', 'mcp-method', 'mcp-name']),
    );
  });
});

describe('observability', () => {
  const scrape = async (): Promise<string> => (await fetch(`${apps.required.baseUrl}/metrics`)).text();
  const value = (text: string, series: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  it('labels the request metrics with the era and a protocol version we know, or unsupported', async () => {
    const before = await scrape();
    const auth = bearer(await token());
    await send(apps.required.mcpUrl, listTools('modern'), auth);
    await send(apps.required.mcpUrl, listTools('legacy'), auth);
    await send(apps.required.mcpUrl, listTools('legacy'), { ...auth, 'MCP-Protocol-Version': '1999-01-01' });
    const future = rpc('modern', 'tools/list');
    await send(
      apps.required.mcpUrl,
      { ...future, body: future.body.replace(MODERN_VERSION, '2027-03-01') },
      { ...auth, 'MCP-Protocol-Version': '2027-03-01' },
    );
    const after = await scrape();
    const delta = (labels: string): number =>
      value(after, `http_requests_total{method="POST",route="/mcp",${labels}}`) -
      value(before, `http_requests_total{method="POST",route="/mcp",${labels}}`);
    expect(delta('status="200",era="modern",protocol_version="2026-07-28"')).toBe(1);
    expect(delta('status="200",era="legacy",protocol_version="2025-11-25"')).toBe(1);
    expect(delta('status="400",era="legacy",protocol_version="unsupported"')).toBe(1);
    expect(delta('status="400",era="modern",protocol_version="unsupported"')).toBe(1);
    expect(after).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/mcp",era="modern",protocol_version="2026-07-28"\} \d+/,
    );
    expect(after).not.toContain('1999-01-01');
  });
});
