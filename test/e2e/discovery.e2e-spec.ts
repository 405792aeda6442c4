import { describe, expect, it } from '@jest/globals';
import type { RawEnvironment } from '../../src/config/environment.js';
import { TestClock } from '../support/test-clock.js';
import {
  useClerkApp,
  useClerkStandIn,
  withApp as withClerkApp,
  type StartOptions,
  type TestApp,
} from '../support/test-app.js';

describe('discovery documents', () => {
  const fixture = useClerkApp({
    RESOURCE_NAME: 'Acme tools',
    RESOURCE_DOCUMENTATION_URL: 'https://docs.example.com/mcp',
  });

  describe('protected-resource metadata (RFC 9728)', () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      it(`serves every field at ${path} without a token`, async () => {
        const response = await fetch(`${fixture.server.baseUrl}${path}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toEqual({
          resource: `${fixture.server.baseUrl}/mcp`,
          authorization_servers: [fixture.clerk.issuer],
          scopes_supported: ['profile', 'email'],
          bearer_methods_supported: ['header'],
          resource_name: 'Acme tools',
          resource_documentation: 'https://docs.example.com/mcp',
        });
      });

      it(`answers HEAD and CORS preflight at ${path}`, async () => {
        const head = await fetch(`${fixture.server.baseUrl}${path}`, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.headers.get('content-type')).toMatch(/^application\/json/);
        const preflight = await fetch(`${fixture.server.baseUrl}${path}`, {
          method: 'OPTIONS',
          headers: {
            Origin: 'https://chatgpt.com',
            'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Headers': 'mcp-protocol-version',
          },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
        expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('mcp-protocol-version');
      });
    }

    it('describes the service at /, the default resource_documentation', async () => {
      const response = await fetch(`${fixture.server.baseUrl}/`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        mcp_endpoint: fixture.server.mcpUrl,
        authorization_server: fixture.clerk.issuer,
        scopes: ['profile', 'email'],
      });
    });

    it('does not invent metadata for a resource it does not serve', async () => {
      const response = await fetch(`${fixture.server.baseUrl}/.well-known/oauth-protected-resource/other`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    });
  });

  describe('every variant real clients try', () => {
    const variants = [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource/mcp/',
      '/mcp/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/mcp/.well-known/oauth-authorization-server',
      '/mcp/.well-known/openid-configuration',
    ];
    const requestHeaders = [
      'authorization',
      'content-type',
      'mcp-protocol-version',
      'mcp-session-id',
      'last-event-id',
      'mcp-method',
      'mcp-name',
    ];

    for (const path of variants) {
      it(`answers GET, HEAD and a CORS preflight at ${path} with JSON, no token, no redirect`, async () => {
        const get = await fetch(`${fixture.server.baseUrl}${path}`, {
          redirect: 'manual',
          headers: { Origin: 'https://chatgpt.com' },
        });
        expect(get.status).toBe(200);
        expect(get.headers.get('content-type')).toMatch(/^application\/json/);
        expect(get.headers.get('access-control-allow-origin')).toBe('*');
        const document = (await get.json()) as { resource?: string; issuer?: string };
        expect(document.resource ?? document.issuer).toBe(
          path.includes('protected-resource') ? fixture.server.mcpUrl : fixture.clerk.issuer,
        );
        const head = await fetch(`${fixture.server.baseUrl}${path}`, { method: 'HEAD', redirect: 'manual' });
        expect(head.status).toBe(200);
        const preflight = await fetch(`${fixture.server.baseUrl}${path}`, {
          method: 'OPTIONS',
          headers: {
            Origin: 'https://chatgpt.com',
            'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Headers': requestHeaders.join(','),
          },
        });
        expect(preflight.status).toBe(204);
        const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
        for (const header of requestHeaders) expect(allowed).toContain(header);
      });
    }

    it('answers the MCP endpoint preflight without a token and exposes the challenge and session headers', async () => {
      for (const path of ['/mcp', '/mcp/']) {
        const preflight = await fetch(`${fixture.server.baseUrl}${path}`, {
          method: 'OPTIONS',
          headers: {
            Origin: 'https://chatgpt.com',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': requestHeaders.join(','),
          },
        });
        expect(preflight.status).toBe(204);
        const challenge = await fetch(`${fixture.server.baseUrl}${path}`, {
          method: 'POST',
          headers: { Origin: 'https://chatgpt.com', 'Content-Type': 'application/json' },
          body: '{}',
        });
        expect(challenge.status).toBe(401);
        expect(challenge.headers.get('access-control-expose-headers')).toBe(
          'WWW-Authenticate,Mcp-Session-Id,Retry-After,X-Request-Id',
        );
      }
    });

    it('answers unknown well-known paths with JSON 404, never HTML', async () => {
      for (const path of [
        '/.well-known/oauth-protected-resource/elsewhere',
        '/elsewhere/.well-known/oauth-protected-resource',
        '/.well-known/unknown',
      ]) {
        const response = await fetch(`${fixture.server.baseUrl}${path}`, { redirect: 'manual' });
        expect(response.status).toBe(404);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      }
    });
  });

  describe('validators and conditional requests', () => {
    const documents = [
      '/.well-known/oauth-protected-resource/mcp',
      '/mcp/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ];

    for (const path of documents) {
      it(`gives ${path} a strong ETag and its exact length, and answers If-None-Match with 304`, async () => {
        const url = `${fixture.server.baseUrl}${path}`;
        const get = await fetch(url);
        const body = await get.text();
        const etag = get.headers.get('etag');
        const cacheControl = get.headers.get('cache-control');
        expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
        expect(get.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(get.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
        expect(body).toBe(JSON.stringify(JSON.parse(body)));
        expect(cacheControl).toMatch(/^public, max-age=\d+$/);

        const again = await fetch(url);
        expect(again.headers.get('etag')).toBe(etag);
        expect(await again.text()).toBe(body);

        for (const ifNoneMatch of [etag ?? '', `W/${etag}`, `"elsewhere", ${etag}`, '*']) {
          for (const method of ['GET', 'HEAD']) {
            const conditional = await fetch(url, { method, headers: { 'If-None-Match': ifNoneMatch } });
            expect({ ifNoneMatch, method, status: conditional.status }).toEqual({ ifNoneMatch, method, status: 304 });
            expect(conditional.headers.get('etag')).toBe(etag);
            expect(conditional.headers.get('cache-control')).toBe(cacheControl);
            expect(await conditional.text()).toBe('');
          }
        }

        const stale = await fetch(url, { headers: { 'If-None-Match': '"an-older-version", W/"another"' } });
        expect(stale.status).toBe(200);
        expect(await stale.text()).toBe(body);
        const head = await fetch(url, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.headers.get('etag')).toBe(etag);
        expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
        expect(await head.text()).toBe('');
      });
    }

    it('serves the same bytes at every location of one document', async () => {
      const answers = await Promise.all(
        [
          '/.well-known/oauth-protected-resource',
          '/.well-known/oauth-protected-resource/mcp',
          '/.well-known/oauth-protected-resource/mcp/',
          '/mcp/.well-known/oauth-protected-resource',
        ].map(async (path) => {
          const response = await fetch(`${fixture.server.baseUrl}${path}`);
          return { etag: response.headers.get('etag'), body: await response.text() };
        }),
      );
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    });
  });

  describe('authorization-server metadata proxied from Clerk', () => {
    for (const kind of ['oauth-authorization-server', 'openid-configuration'] as const) {
      it(`passes /.well-known/${kind} through unchanged and caches it`, async () => {
        const upstream = (await (await fetch(`${fixture.clerk.url}/.well-known/${kind}`)).json()) as Record<
          string,
          unknown
        >;
        expect((await fetch(`${fixture.server.baseUrl}/.well-known/${kind}`)).status).toBe(200);
        fixture.clerk.resetHits();
        for (let i = 0; i < 5; i++) {
          const response = await fetch(`${fixture.server.baseUrl}/.well-known/${kind}`);
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual(upstream);
        }
        expect(fixture.clerk.hits(kind === 'openid-configuration' ? 'oidcConfiguration' : 'asMetadata')).toBe(0);
        expect(upstream.issuer).toBe(fixture.clerk.issuer);
        const head = await fetch(`${fixture.server.baseUrl}/.well-known/${kind}`, { method: 'HEAD' });
        expect(head.status).toBe(200);
      });
    }
  });
});

describe('authorization-server metadata when Clerk misbehaves', () => {
  const fixture = useClerkStandIn();
  const withApp = (
    env: RawEnvironment,
    run: (server: TestApp) => Promise<void>,
    options?: StartOptions,
  ): Promise<void> => withClerkApp(fixture.clerk, env, run, options);

  it('serves a stale copy while Clerk is down, after the cache time has passed', async () => {
    const clock = new TestClock();
    await withApp(
      { AS_METADATA_CACHE_SECONDS: '1' },
      async (server) => {
        const fresh = await (await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`)).json();
        fixture.clerk.setFault('down', { scope: 'fapi' });
        fixture.clerk.resetHits();
        clock.advance(1100);
        const response = await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual(fresh);
        // The cache time has passed: the issuer was asked again, and its failure answered with the stale copy.
        expect(fixture.clerk.hits('asMetadata')).toBeGreaterThan(0);
      },
      { clock },
    );
  });

  it('gives a re-fetched authorization-server document that changed a new ETag, and the old one no 304', async () => {
    const clock = new TestClock();
    await withApp(
      { AS_METADATA_CACHE_SECONDS: '1' },
      async (server) => {
        const url = `${server.baseUrl}/.well-known/oauth-authorization-server`;
        const first = await fetch(url);
        const firstEtag = first.headers.get('etag') ?? '';
        expect(((await first.json()) as Record<string, unknown>).op_policy_uri).toBeUndefined();
        expect((await fetch(url, { headers: { 'If-None-Match': firstEtag } })).status).toBe(304);

        fixture.clerk.setMetadataOverrides({ op_policy_uri: 'https://example.com/policy' });
        clock.advance(1100);
        const changed = await fetch(url, { headers: { 'If-None-Match': firstEtag } });
        expect(changed.status).toBe(200);
        const changedEtag = changed.headers.get('etag');
        expect(changedEtag).not.toBe(firstEtag);
        const body = await changed.text();
        expect((JSON.parse(body) as Record<string, unknown>).op_policy_uri).toBe('https://example.com/policy');
        expect(changed.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
        expect((await fetch(url, { headers: { 'If-None-Match': changedEtag ?? '' } })).status).toBe(304);
      },
      { clock },
    );
  });

  it('answers 502 JSON when nothing was ever fetched', async () => {
    fixture.clerk.setFault('error500', { scope: 'fapi' });
    await withApp({}, async (server) => {
      const response = await fetch(`${server.baseUrl}/.well-known/openid-configuration`);
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('bad_gateway');
      expect(body.error_description).toContain('500');
    });
  });

  it('gives up on a slow Clerk within the upstream timeout', async () => {
    fixture.clerk.setFault('slow', { scope: 'fapi', delayMs: 5000 });
    await withApp({ UPSTREAM_TIMEOUT_MS: '300' }, async (server) => {
      const started = Date.now();
      const response = await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(502);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  it('refuses a document that is not JSON', async () => {
    fixture.clerk.setFault('nonJson', { scope: 'fapi' });
    await withApp({}, async (server) => {
      const response = await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(502);
      expect(((await response.json()) as { error_description: string }).error_description).toContain('not JSON');
    });
  });

  it('refuses a document whose issuer is not the configured issuer', async () => {
    fixture.clerk.setMetadataOverrides({ issuer: 'https://evil.example.com' });
    await withApp({}, async (server) => {
      const response = await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(502);
      expect(((await response.json()) as { error_description: string }).error_description).toContain('issuer');
    });
  });

  it('refuses a document without S256 PKCE', async () => {
    fixture.clerk.setMetadataOverrides({}, { remove: ['code_challenge_methods_supported'] });
    await withApp({}, async (server) => {
      const response = await fetch(`${server.baseUrl}/.well-known/openid-configuration`);
      expect(response.status).toBe(502);
      expect(((await response.json()) as { error_description: string }).error_description).toContain('S256');
    });
  });
});
