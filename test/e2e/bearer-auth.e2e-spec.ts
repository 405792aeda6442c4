import { beforeAll, describe, expect, it } from '@jest/globals';
import { TestClock } from '../support/test-clock.js';
import { useClerkApp, useClerkStandIn, withApp } from '../support/test-app.js';

const LIST_TOOLS = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
const callTool = (name: string): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: {} } });
const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
const postMcp = (url: string, headers: Record<string, string>, body = LIST_TOOLS): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body,
  });

describe('the bearer guard on /mcp', () => {
  const fixture = useClerkApp();
  let challengeBase: string;

  beforeAll(() => {
    challengeBase = `Bearer resource_metadata="${fixture.server.baseUrl}/.well-known/oauth-protected-resource/mcp", scope="profile email"`;
  });

  const post = (headers: Record<string, string>, body = LIST_TOOLS, path = '/mcp'): Promise<Response> =>
    postMcp(`${fixture.server.baseUrl}${path}`, headers, body);

  it('answers a request without a token with the exact 401 challenge', async () => {
    const response = await post({});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(challengeBase);
    expect(response.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    expect(await response.json()).toEqual({
      error: 'unauthorized',
      error_description: 'A bearer access token is required.',
    });
  });

  it('treats another authentication scheme as no bearer token', async () => {
    const response = await post({ Authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(challengeBase);
  });

  it('accepts a valid JWT, with the scheme in any case', async () => {
    const token = await fixture.clerk.mintJwt({ scopes: ['profile', 'email'] });
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await post({ Authorization: `${scheme} ${token}` });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { result: { tools: { name: string }[] } };
      expect(body.result.tools.map((tool) => tool.name).sort()).toEqual([
        'get_email',
        'get_profile',
        'server_status',
        'whoami',
      ]);
    }
  });

  const invalidCases: [string, () => Promise<string>, RegExp][] = [
    ['an expired JWT', () => fixture.clerk.mintJwt({ expiresInSeconds: -60 }), /expired/],
    ['a JWT signed by a foreign key', () => fixture.clerk.mintJwt({ signWithForeignKey: true }), /signature/],
    ['a JWT from another issuer', () => fixture.clerk.mintJwt({ issuer: 'https://evil.example.com' }), /iss/],
    [
      'a JWT for another resource',
      () => fixture.clerk.mintJwt({ aud: 'https://other.example.com/mcp' }),
      /another resource/,
    ],
    ['a session JWT (typ: JWT)', () => fixture.clerk.mintJwt({ typ: 'JWT' }), /typ/],
    ['an unsigned JWT (alg: none)', () => fixture.clerk.mintJwt({ alg: 'none' }), /algorithm|malformed/],
    ['an HS256 JWT', () => fixture.clerk.mintJwt({ alg: 'HS256' }), /algorithm/],
    ['a JWT not valid yet', () => fixture.clerk.mintJwt({ notBeforeSeconds: 600 }), /nbf/],
    ['a JWT signed with an unknown kid', () => fixture.clerk.mintJwt({ kid: 'ins_unknown' }), /key/],
    ['an unknown opaque token', () => Promise.resolve('oat_0123456789abcdef0123456789abcdef'), /not known/],
    ['a string that is no Clerk token', () => Promise.resolve('not-a-token'), /neither/],
  ];
  for (const [name, mint, description] of invalidCases) {
    it(`refuses ${name} with 401 invalid_token`, async () => {
      const response = await post(bearer(await mint()));
      expect(response.status).toBe(401);
      const header = response.headers.get('www-authenticate') ?? '';
      expect(header.startsWith(`${challengeBase}, error="invalid_token", error_description="`)).toBe(true);
      expect(header).toMatch(description);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    });
  }

  it('refuses a token in the query string with 400 invalid_request, even with a valid header', async () => {
    const token = await fixture.clerk.mintJwt();
    const response = await post(bearer(token), LIST_TOOLS, `/mcp?access_token=${token}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('refuses a token in a form body with 400 invalid_request', async () => {
    const token = await fixture.clerk.mintJwt();
    const response = await fetch(`${fixture.server.baseUrl}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}`,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('refuses two credentials in one header with 400 invalid_request', async () => {
    const response = await post({ Authorization: 'Bearer one two' });
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('answers a tool call that lacks a scope with 403 insufficient_scope naming every scope needed', async () => {
    const token = await fixture.clerk.mintJwt({ scopes: ['profile'] });
    const response = await post(bearer(token), callTool('get_email'));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      `${challengeBase}, error="insufficient_scope", error_description="get_email needs the scope email."`,
    );
    const allowed = await post(bearer(token), callTool('get_profile'));
    expect(allowed.status).toBe(200);
  });

  it('reads scopes from an scp array as well as a scope string', async () => {
    const token = await fixture.clerk.mintJwt({ scopes: ['email'], scopeClaim: 'scp' });
    const response = await post(bearer(token), callTool('get_email'));
    expect(response.status).toBe(200);
  });

  it('answers 503 with Retry-After, not 401, when Clerk cannot verify an opaque token', async () => {
    const token = fixture.clerk.mintOpaqueToken({ scopes: ['profile', 'email'] });
    fixture.clerk.setFault('down', { scope: 'bapi' });
    const response = await post(bearer(token));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('www-authenticate')).toBeNull();
    fixture.clerk.setFault('error500', { scope: 'bapi' });
    expect((await post(bearer(token))).status).toBe(503);
    fixture.clerk.setFault(null);
    expect((await post(bearer(token))).status).toBe(200);
  });

  it('refuses opaque tokens Clerk reports as revoked or expired, even with a 200 answer', async () => {
    fixture.clerk.setOpaqueVerifyAnswersRevokedWith200(true);
    try {
      for (const options of [{ revoked: true }, { expired: true }, { expiresInSeconds: -10 }]) {
        const response = await post(bearer(fixture.clerk.mintOpaqueToken(options)));
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(
          /error="invalid_token", error_description="The access token has (been revoked|expired)\."/,
        );
      }
    } finally {
      fixture.clerk.setOpaqueVerifyAnswersRevokedWith200(false);
    }
  });

  it('refuses a revoked opaque token (404 from Clerk)', async () => {
    const token = fixture.clerk.mintOpaqueToken();
    fixture.clerk.revoke(token);
    expect((await post(bearer(token))).status).toBe(401);
  });

  it('answers GET and DELETE with 405 in stateless mode', async () => {
    const token = await fixture.clerk.mintJwt();
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${fixture.server.baseUrl}/mcp`, {
        method,
        headers: { ...bearer(token), Accept: 'text/event-stream' },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST, OPTIONS');
      expect(((await response.json()) as { jsonrpc: string }).jsonrpc).toBe('2.0');
    }
  });

  it('serves /mcp/ with a trailing slash like /mcp', async () => {
    expect((await post({}, LIST_TOOLS, '/mcp/')).status).toBe(401);
    expect((await post(bearer(await fixture.clerk.mintJwt()), LIST_TOOLS, '/mcp/')).status).toBe(200);
  });

  it('answers malformed JSON with a JSON-RPC parse error, not a stack', async () => {
    const response = await post(bearer(await fixture.clerk.mintJwt()), '{"jsonrpc":');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: number } };
    expect(body.error.code).toBe(-32700);
  });
});

describe('signing keys', () => {
  const clock = new TestClock();
  const fixture = useClerkApp({ JWKS_REFRESH_COOLDOWN_SECONDS: '1' }, { clock });

  const status = async (token: string): Promise<number> => (await postMcp(fixture.server.mcpUrl, bearer(token))).status;

  it('caches the key set and throttles refetches for unknown kids', async () => {
    expect(await status(await fixture.clerk.mintJwt())).toBe(200);
    fixture.clerk.resetHits();
    for (let i = 0; i < 5; i++) expect(await status(await fixture.clerk.mintJwt())).toBe(200);
    expect(fixture.clerk.hits('fapiJwks')).toBe(0);
    for (let i = 0; i < 5; i++)
      expect(await status(await fixture.clerk.mintJwt({ kid: `ins_unknown_${i}` }))).toBe(401);
    expect(fixture.clerk.hits('fapiJwks')).toBeLessThanOrEqual(1);
  });

  it('refuses a token once it expires, even right after it was accepted', async () => {
    const shortLivedClock = new TestClock();
    const token = await fixture.clerk.mintJwt({ expiresInSeconds: 2 });
    await withApp(
      fixture.clerk,
      { AUTH_CLOCK_SKEW_SECONDS: '0' },
      async (shortLived) => {
        const call = (): Promise<Response> => postMcp(shortLived.mcpUrl, bearer(token));
        expect((await call()).status).toBe(200);
        expect((await call()).status).toBe(200);
        shortLivedClock.advance(2100);
        const expired = await call();
        expect(expired.status).toBe(401);
        expect(expired.headers.get('www-authenticate')).toContain('The access token has expired.');
      },
      { clock: shortLivedClock },
    );
  });

  it('picks up a rotated key once the cooldown has passed', async () => {
    await fixture.clerk.rotateKeys();
    clock.advance(1100);
    expect(await status(await fixture.clerk.mintJwt())).toBe(200);
  });
});

describe('scope implications', () => {
  const fixture = useClerkApp({ MCP_SCOPE_IMPLICATIONS: 'admin=profile email;superadmin=admin' });

  const statusWith = async (scopes: string[], tool: string): Promise<number> =>
    (await postMcp(fixture.server.mcpUrl, bearer(await fixture.clerk.mintJwt({ scopes })), callTool(tool))).status;

  it('treats a broader scope as holding the narrower ones it implies, transitively', async () => {
    expect(await statusWith(['admin'], 'get_email')).toBe(200);
    expect(await statusWith(['superadmin'], 'get_profile')).toBe(200);
    expect(await statusWith(['other'], 'get_email')).toBe(403);
  });
});

describe('audience modes', () => {
  const fixture = useClerkStandIn();

  const statusFor = async (mode: string, aud: string | undefined): Promise<number> => {
    let status = 0;
    await withApp(fixture.clerk, { AUTH_AUDIENCE_MODE: mode }, async (server) => {
      const token = await fixture.clerk.mintJwt(aud === undefined ? {} : { aud });
      status = (await postMcp(server.mcpUrl, bearer(token))).status;
    });
    return status;
  };

  // One case per mode on the wire; every combination is in test/unit/auth/audience-policy.spec.ts.
  it('strict: refuses a token without aud', async () => {
    expect(await statusFor('strict', undefined)).toBe(401);
  });

  it('when-present: accepts a token without aud', async () => {
    expect(await statusFor('when-present', undefined)).toBe(200);
  });

  it('off: ignores aud', async () => {
    expect(await statusFor('off', 'https://other.example.com/mcp')).toBe(200);
  });
});
