import type { Server } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { GracefulShutdown } from '../../src/shutdown/graceful-shutdown.js';
import { RawHttpConnection } from '../support/raw-http.js';
import { TestClock } from '../support/test-clock.js';
import { useClerkApp, useClerkStandIn, withApp, type TestApp } from '../support/test-app.js';

const ACCEPT = 'application/json, text/event-stream';
const callTool = (name: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {}, ...extra } });

async function post(
  server: TestApp,
  headers: Record<string, string>,
  body = callTool('whoami'),
  path = '/mcp',
): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: ACCEPT, ...headers },
    body,
  });
}

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** Stateful mode: initializes a session and returns its id. */
async function openSession(server: TestApp, token: string): Promise<string> {
  const initialize = await post(
    server,
    bearer(token),
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
    }),
  );
  await initialize.text();
  return initialize.headers.get('mcp-session-id') as string;
}

/** Stateful mode: opens a session and its GET event stream. */
async function openEventStream(server: TestApp, token: string, signal?: AbortSignal): Promise<Response> {
  const sessionId = await openSession(server, token);
  return fetch(server.mcpUrl, {
    headers: {
      ...bearer(token),
      Accept: 'text/event-stream',
      'Mcp-Session-Id': sessionId,
      'MCP-Protocol-Version': '2025-06-18',
    },
    signal,
  });
}

const portOf = (server: TestApp): number => Number(new URL(server.baseUrl).port);

describe('health probes', () => {
  const fixture = useClerkStandIn();

  it('answers /healthz and /readyz without a token, outside the rate limits', async () => {
    await withApp(fixture.clerk, { RATE_LIMIT_PER_IP: '1' }, async (server) => {
      for (let i = 0; i < 3; i++) {
        const liveness = await fetch(`${server.baseUrl}/healthz`);
        expect(liveness.status).toBe(200);
        expect(await liveness.json()).toMatchObject({ status: 'ok' });
        const readiness = await fetch(`${server.baseUrl}/readyz`);
        expect(readiness.status).toBe(200);
        expect(readiness.headers.get('cache-control')).toBe('no-store');
        expect(await readiness.json()).toMatchObject({
          status: 'ok',
          details: {
            lifecycle: { status: 'up' },
            authorization_server: { status: 'up', issuer: fixture.clerk.issuer },
            signing_keys: { status: 'up', keys: 1 },
          },
        });
      }
    });
  });

  it('reuses the upstream part of readiness for READINESS_CACHE_SECONDS', async () => {
    await withApp(fixture.clerk, { READINESS_CACHE_SECONDS: '60' }, async (server) => {
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
      fixture.clerk.resetHits();
      await Promise.all(
        Array.from({ length: 10 }, () => fetch(`${server.baseUrl}/readyz`).then((response) => response.status)),
      );
      expect(fixture.clerk.hits('fapiJwks')).toBe(0);
      expect(fixture.clerk.hits('asMetadata')).toBe(0);
    });
  });

  it('is not ready while the issuer has never answered, and says which check failed', async () => {
    fixture.clerk.setFault('down', { scope: 'fapi' });
    await withApp(fixture.clerk, {}, async (server) => {
      expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
      const readiness = await fetch(`${server.baseUrl}/readyz`);
      expect(readiness.status).toBe(503);
      expect(readiness.headers.get('content-type')).toMatch(/^application\/json/);
      const report = (await readiness.json()) as { status: string; error: Record<string, { status: string }> };
      expect(report.status).toBe('error');
      expect(report.error.authorization_server.status).toBe('down');
      expect(report.error.signing_keys.status).toBe('down');
    });
  });

  it('stays ready through an issuer outage while the keys it fetched are within JWKS_CACHE_SECONDS', async () => {
    const clock = new TestClock();
    await withApp(
      fixture.clerk,
      { READINESS_CACHE_SECONDS: '1' },
      async (server) => {
        expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
        fixture.clerk.setFault('down', { scope: 'fapi' });
        clock.advance(1100);
        const readiness = await fetch(`${server.baseUrl}/readyz`);
        expect(readiness.status).toBe(200);
        expect(await readiness.json()).toMatchObject({ details: { signing_keys: { status: 'up', stale: true } } });
      },
      { clock },
    );
  });

  it('is not ready when the issuer publishes no keys', async () => {
    fixture.clerk.setMetadataOverrides({ jwks_uri: `${fixture.clerk.url}/v1/nothing-here` });
    try {
      await withApp(fixture.clerk, {}, async (server) => {
        const readiness = await fetch(`${server.baseUrl}/readyz`);
        expect(readiness.status).toBe(503);
        expect(await readiness.json()).toMatchObject({ error: { signing_keys: { status: 'down' } } });
      });
    } finally {
      fixture.clerk.setMetadataOverrides({});
    }
  });
});

describe('draining', () => {
  const fixture = useClerkStandIn();

  it('lets a request in flight on a keep-alive connection finish, then closes that connection', async () => {
    await withApp(fixture.clerk, { SHUTDOWN_GRACE_SECONDS: '30' }, async (server) => {
      const body = callTool('whoami');
      const connection = await RawHttpConnection.open(portOf(server));
      connection.write(
        `POST /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nAuthorization: Bearer ${await fixture.clerk.mintJwt()}\r\n` +
          `Content-Type: application/json\r\nAccept: ${ACCEPT}\r\nExpect: 100-continue\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
      await connection.until((received) => (received.includes('100 Continue') ? true : undefined));
      const drained = server.app.get(GracefulShutdown).drain(server.app.getHttpServer() as Server);
      connection.write(body);
      const outcome = await Promise.race([
        drained.then(() => 'drained'),
        new Promise((resolve) => setTimeout(() => resolve('still draining'), 5000)),
      ]);
      expect(outcome).toBe('drained');
      await connection.closed;
      expect(connection.text).toMatch(/HTTP\/1\.1 200 OK\r\n(.+\r\n)*Connection: close\r\n/);
      expect(connection.text).toContain(fixture.clerk.defaultUser.id);
    });
  });

  it('ends a GET event stream at once instead of waiting out the grace period', async () => {
    await withApp(fixture.clerk, { MCP_SESSION_MODE: 'stateful', SHUTDOWN_GRACE_SECONDS: '30' }, async (server) => {
      const token = await fixture.clerk.mintJwt();
      const stream = await openEventStream(server, token);
      expect(stream.status).toBe(200);
      const streamEnded = stream.text().then(
        () => 'ended',
        () => 'ended',
      );
      const drained = server.app.get(GracefulShutdown).drain(server.app.getHttpServer() as Server);
      const outcome = await Promise.race([
        drained.then(() => 'drained'),
        new Promise((resolve) => setTimeout(() => resolve('still draining'), 5000)),
      ]);
      expect(outcome).toBe('drained');
      expect(await streamEnded).toBe('ended');
      expect(server.app.get(GracefulShutdown).draining).toBe(true);
      expect((await fetch(`${server.baseUrl}/readyz`).catch(() => undefined))?.status ?? 'refused').toBe('refused');
    });
  });
});

describe('metrics', () => {
  // The clock moves only in the last test, to expire the readiness cache.
  const clock = new TestClock();
  const fixture = useClerkApp({}, { clock });

  const scrape = async (): Promise<string> => {
    const response = await fetch(`${fixture.server.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  /** The value of one series, or 0 when it does not exist yet. */
  const value = (text: string, series: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  it('counts requests by route pattern and status, never by raw URL', async () => {
    const before = await scrape();
    await post(fixture.server, {});
    await fetch(`${fixture.server.baseUrl}/.well-known/oauth-protected-resource/mcp?token=do-not-label`);
    await fetch(`${fixture.server.baseUrl}/no/such/path-12345`);
    const after = await scrape();
    const delta = (series: string): number => value(after, series) - value(before, series);
    expect(delta('http_requests_total{method="POST",route="/mcp",status="401"}')).toBe(1);
    expect(after).toMatch(
      /http_requests_total\{method="GET",route="\/\.well-known\/oauth-protected-resource\/[^"]*resourcePath[^"]*",status="200"\}/,
    );
    expect(delta('http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(1);
    expect(after).toMatch(/http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/mcp"\}/);
    expect(after).not.toContain('path-12345');
    expect(after).not.toContain('do-not-label');
  });

  it('counts refused tokens by reason', async () => {
    const before = await scrape();
    await post(fixture.server, {});
    await post(fixture.server, bearer(await fixture.clerk.mintJwt({ expiresInSeconds: -60 })));
    await post(fixture.server, bearer(await fixture.clerk.mintJwt({ signWithForeignKey: true })));
    await post(fixture.server, bearer(await fixture.clerk.mintJwt({ aud: 'https://other.example.com/mcp' })));
    await post(fixture.server, bearer(await fixture.clerk.mintJwt({ scopes: [] })), callTool('get_email'));
    await post(fixture.server, { Authorization: 'Bearer one two' });
    fixture.clerk.setFault('down', { scope: 'bapi' });
    await post(fixture.server, bearer(fixture.clerk.mintOpaqueToken()));
    fixture.clerk.setFault(null);
    const after = await scrape();
    for (const outcome of ['missing', 'expired', 'invalid', 'audience', 'scope', 'malformed', 'upstream_error'])
      expect([
        outcome,
        value(after, `mcp_auth_outcomes_total{outcome="${outcome}"}`) -
          value(before, `mcp_auth_outcomes_total{outcome="${outcome}"}`),
      ]).toEqual([outcome, 1]);
  });

  it('counts tool calls by tool and outcome, unknown tools under one label', async () => {
    const before = await scrape();
    const token = await fixture.clerk.mintJwt({ scopes: ['profile', 'email'] });
    await post(fixture.server, bearer(token), callTool('whoami'));
    await post(fixture.server, bearer(token), callTool('whoami', { arguments: { unexpected: true } }));
    await post(fixture.server, bearer(token), callTool('no_such_tool_42'));
    const after = await scrape();
    const delta = (series: string): number => value(after, series) - value(before, series);
    expect(delta('mcp_tool_calls_total{tool="whoami",outcome="success"}')).toBe(1);
    expect(delta('mcp_tool_calls_total{tool="whoami",outcome="invalid_arguments"}')).toBe(1);
    expect(delta('mcp_tool_calls_total{tool="(unknown)",outcome="unknown_tool"}')).toBe(1);
    expect(after).not.toContain('no_such_tool_42');
    expect(after).toMatch(/mcp_tool_call_duration_seconds_count\{tool="whoami"\} \d+/);
  });

  it('counts verification latency, successes, Clerk calls and cache hits and misses', async () => {
    const before = await scrape();
    const delta = (after: string, series: string): number => value(after, series) - value(before, series);
    const opaque = fixture.clerk.mintOpaqueToken({ scopes: ['profile', 'email'] });
    await post(fixture.server, bearer(opaque));
    await post(fixture.server, bearer(opaque));
    await post(fixture.server, bearer(await fixture.clerk.mintJwt()));
    await post(fixture.server, bearer(fixture.clerk.mintOpaqueToken({ scopes: ['profile'] })), callTool('get_profile'));
    fixture.clerk.setFault('slow', { scope: 'bapi', delayMs: 3000 });
    await post(fixture.server, bearer(fixture.clerk.mintOpaqueToken()));
    fixture.clerk.setFault(null);
    await fetch(`${fixture.server.baseUrl}/.well-known/oauth-authorization-server`);
    const after = await scrape();
    expect(delta(after, 'mcp_auth_outcomes_total{outcome="success"}')).toBe(4);
    expect(delta(after, 'mcp_token_verification_duration_seconds_count{token_kind="opaque",outcome="valid"}')).toBe(3);
    expect(delta(after, 'mcp_token_verification_duration_seconds_count{token_kind="jwt",outcome="valid"}')).toBe(1);
    expect(
      delta(after, 'mcp_token_verification_duration_seconds_count{token_kind="opaque",outcome="upstream_error"}'),
    ).toBe(1);
    expect(delta(after, 'mcp_cache_lookups_total{cache="opaque_token",result="miss"}')).toBe(3);
    expect(delta(after, 'mcp_cache_lookups_total{cache="opaque_token",result="hit"}')).toBe(1);
    expect(delta(after, 'mcp_upstream_requests_total{upstream="clerk_backend_api",outcome="success"}')).toBe(3);
    expect(delta(after, 'mcp_upstream_requests_total{upstream="clerk_backend_api",outcome="timeout"}')).toBe(1);
    expect(delta(after, 'mcp_cache_lookups_total{cache="authorization_server_metadata",result="hit"}')).toBe(1);
    expect(
      value(after, 'mcp_upstream_requests_total{upstream="authorization_server_metadata",outcome="success"}'),
    ).toBeGreaterThanOrEqual(2);
  });

  it('counts the calls readiness makes to the issuer', async () => {
    const keyFetches = 'mcp_upstream_requests_total{upstream="jwks",outcome="success"}';
    // Past READINESS_CACHE_SECONDS (5 s by default), so the first probe must fetch the keys; the second reuses it.
    clock.advance(6_000);
    const before = await scrape();
    fixture.clerk.resetHits();
    expect((await fetch(`${fixture.server.baseUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${fixture.server.baseUrl}/readyz`)).status).toBe(200);
    const after = await scrape();
    expect(fixture.clerk.hits('fapiJwks')).toBe(1);
    expect(value(after, keyFetches) - value(before, keyFetches)).toBe(1);
    expect(value(after, keyFetches)).toBeGreaterThanOrEqual(1);
    expect(after).toContain('process_cpu_seconds_total');
  });
});

describe('rate limits on /mcp', () => {
  const fixture = useClerkStandIn();

  async function expectRateLimited(response: Response): Promise<void> {
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringMatching(/^Too many requests/) },
      id: null,
    });
  }

  it('limits each client address, before the token is checked, and leaves other routes alone', async () => {
    await withApp(fixture.clerk, { RATE_LIMIT_PER_IP: '3', RATE_LIMIT_PER_USER: '0' }, async (server) => {
      const token = await fixture.clerk.mintJwt();
      for (let i = 0; i < 2; i++) expect((await post(server, bearer(token))).status).toBe(200);
      expect((await post(server, {})).status).toBe(401);
      await expectRateLimited(await post(server, bearer(token)));
      // X-Forwarded-For from an untrusted peer changes nothing.
      await expectRateLimited(await post(server, { ...bearer(token), 'X-Forwarded-For': '203.0.113.7' }));
      expect((await fetch(`${server.baseUrl}/.well-known/oauth-protected-resource/mcp`)).status).toBe(200);
      expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(200);
    });
  });

  it('takes the client address from X-Forwarded-For only when the peer is a trusted proxy', async () => {
    await withApp(
      fixture.clerk,
      { RATE_LIMIT_PER_IP: '2', RATE_LIMIT_PER_USER: '0', TRUSTED_PROXIES: '127.0.0.1, ::1' },
      async (server) => {
        const token = await fixture.clerk.mintJwt();
        for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
          for (let i = 0; i < 2; i++)
            expect((await post(server, { ...bearer(token), 'X-Forwarded-For': client })).status).toBe(200);
        await expectRateLimited(await post(server, { ...bearer(token), 'X-Forwarded-For': '203.0.113.1' }));
      },
    );
  });

  it('limits each user, whatever address they call from', async () => {
    await withApp(
      fixture.clerk,
      { RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_USER: '2', TRUSTED_PROXIES: 'loopback' },
      async (server) => {
        const alice = await fixture.clerk.mintJwt({ sub: 'user_alice' });
        for (const client of ['203.0.113.1', '203.0.113.2'])
          expect((await post(server, { ...bearer(alice), 'X-Forwarded-For': client })).status).toBe(200);
        await expectRateLimited(await post(server, { ...bearer(alice), 'X-Forwarded-For': '203.0.113.3' }));
        expect((await post(server, bearer(await fixture.clerk.mintJwt({ sub: 'user_bob' })))).status).toBe(200);
        // With the per-address limit off, unauthenticated requests are never throttled.
        for (let i = 0; i < 5; i++) expect((await post(server, {})).status).toBe(401);
      },
    );
  });
});

describe('request limits and headers', () => {
  const fixture = useClerkStandIn();

  it('refuses a body over BODY_LIMIT_BYTES with 413 and a JSON-RPC error, and takes one under it', async () => {
    await withApp(fixture.clerk, { BODY_LIMIT_BYTES: '2048' }, async (server) => {
      const token = await fixture.clerk.mintJwt();
      const under = await post(server, bearer(token), callTool('whoami', { _meta: { padding: 'x'.repeat(1500) } }));
      expect(under.status).toBe(200);
      const over = await post(server, bearer(token), callTool('whoami', { _meta: { padding: 'x'.repeat(3000) } }));
      expect(over.status).toBe(413);
      expect(over.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await over.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32600, message: expect.stringContaining('2048 bytes') },
        id: null,
      });
    });
  });

  it('takes bodies beyond Express’s 100 kB default under the default 1 MiB limit', async () => {
    await withApp(fixture.clerk, {}, async (server) => {
      const response = await post(
        server,
        bearer(await fixture.clerk.mintJwt()),
        callTool('whoami', { _meta: { padding: 'x'.repeat(300_000) } }),
      );
      expect(response.status).toBe(200);
    });
  });

  it('sends security headers without getting in the way of CORS or JSON', async () => {
    await withApp(fixture.clerk, {}, async (server) => {
      for (const response of [
        await post(server, { Origin: 'https://chatgpt.com' }),
        await fetch(`${server.baseUrl}/.well-known/oauth-protected-resource/mcp`),
        await fetch(`${server.baseUrl}/healthz`),
      ]) {
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
        expect(response.headers.get('strict-transport-security')).toBeNull();
        expect(response.headers.get('access-control-allow-origin')).toBe('*');
        expect(response.headers.get('access-control-expose-headers')).toBe(
          'WWW-Authenticate,Mcp-Session-Id,Retry-After,X-Request-Id',
        );
        expect(response.headers.get('access-control-allow-methods')).toBeNull();
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      }
      const preflight = await fetch(server.mcpUrl, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://chatgpt.com',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('content-length')).toBe('0');
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,HEAD,POST,DELETE,OPTIONS');
      expect(preflight.headers.get('access-control-allow-headers')).toBe(
        'Authorization,Content-Type,Accept,MCP-Protocol-Version,Mcp-Session-Id,Last-Event-ID,Mcp-Method,Mcp-Name',
      );
      expect(preflight.headers.get('access-control-max-age')).toBe('86400');
      expect(preflight.headers.get('access-control-expose-headers')).toBe(
        'WWW-Authenticate,Mcp-Session-Id,Retry-After,X-Request-Id',
      );
      expect(preflight.headers.get('x-content-type-options')).toBe('nosniff');
      expect(preflight.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  it('sends HSTS when the public URL is https', async () => {
    await withApp(fixture.clerk, { PUBLIC_BASE_URL: 'https://mcp.example.com', ALLOWED_HOSTS: '*' }, async (server) => {
      expect((await fetch(`${server.baseUrl}/healthz`)).headers.get('strict-transport-security')).toBe(
        'max-age=31536000; includeSubDomains',
      );
    });
  });

  it('answers a client that does not send its whole request within REQUEST_TIMEOUT_MS with 408, and never cuts an event stream for it', async () => {
    await withApp(fixture.clerk, { MCP_SESSION_MODE: 'stateful', REQUEST_TIMEOUT_MS: '1000' }, async (server) => {
      const token = await fixture.clerk.mintJwt();
      const controller = new AbortController();
      const stream = await openEventStream(server, token, controller.signal);
      expect(stream.status).toBe(200);
      let streamEnded = false;
      stream.text().then(
        () => (streamEnded = true),
        () => undefined,
      );
      // With a token, so the server waits for the body (a request refused anyway is answered before it).
      const answer = await RawHttpConnection.exchange(
        portOf(server),
        `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
          'Content-Length: 100\r\n\r\n{"jsonrpc"',
      );
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      // The stream has now been open longer than REQUEST_TIMEOUT_MS, through the same sweep that cut the slow request.
      expect(streamEnded).toBe(false);
      controller.abort();
    });
  });

  it('keeps idle connections open for KEEP_ALIVE_TIMEOUT_MS, then closes them', async () => {
    await withApp(fixture.clerk, { KEEP_ALIVE_TIMEOUT_MS: '1000' }, async (server) => {
      const connection = await RawHttpConnection.open(portOf(server));
      const healthz = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
      connection.write(healthz);
      const first = await connection.nextAnswer();
      expect(first).toMatch(/^HTTP\/1\.1 200 /);
      expect(first).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
      // The same connection serves a second request.
      connection.write(healthz);
      expect(await connection.nextAnswer()).toMatch(/^HTTP\/1\.1 200 /);
      const idleSince = Date.now();
      await connection.closed;
      // Node closes an idle connection no sooner than keepAliveTimeout (plus a buffer of its own).
      expect(Date.now() - idleSince).toBeGreaterThanOrEqual(950);
      expect((server.app.getHttpServer() as Server).keepAliveTimeout).toBe(1000);
    });
  });

  it('takes a KEEP_ALIVE_TIMEOUT_MS longer than the proxies in front', async () => {
    await withApp(fixture.clerk, { KEEP_ALIVE_TIMEOUT_MS: '75000' }, async (server) => {
      const connection = await RawHttpConnection.open(portOf(server));
      connection.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const answer = await connection.nextAnswer();
      connection.destroy();
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toMatch(/\r\nKeep-Alive: timeout=75\r\n/i);
      expect((server.app.getHttpServer() as Server).keepAliveTimeout).toBe(75000);
    });
  });
});

describe('behind a proxy', () => {
  const fixture = useClerkStandIn();

  it('advertises PUBLIC_BASE_URL whatever X-Forwarded-* says, even from a trusted proxy', async () => {
    await withApp(fixture.clerk, { TRUSTED_PROXIES: 'loopback' }, async (server) => {
      const forwarded = {
        'X-Forwarded-Host': 'evil.example.com',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-For': '203.0.113.9',
      };
      const metadata = (await (
        await fetch(`${server.baseUrl}/.well-known/oauth-protected-resource/mcp`, { headers: forwarded })
      ).json()) as { resource: string };
      expect(metadata.resource).toBe(`${server.baseUrl}/mcp`);
      // The host is left out here: on /mcp a forwarded host is checked against ALLOWED_HOSTS.
      const challenge = await post(server, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' });
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('www-authenticate')).toContain(
        `resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource/mcp"`,
      );
    });
  });
});
