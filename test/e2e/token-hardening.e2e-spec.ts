import { request as httpRequest } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import type { JwtOptions, StandInFault } from '../support/clerk-stand-in.js';
import { useClerkApp, withApp, type TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const ACCEPT = 'application/json, text/event-stream';
const callTool = (name: string): string =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } });
const post = (server: TestApp, token: string, body = callTool('whoami')): Promise<Response> =>
  fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: ACCEPT, Authorization: `Bearer ${token}` },
    body,
  });

async function expectInvalidToken(response: Response, description: RegExp): Promise<void> {
  expect(response.status).toBe(401);
  const header = response.headers.get('www-authenticate') ?? '';
  expect(header).toContain('error="invalid_token"');
  expect(header).toMatch(description);
  expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
}

describe('token hardening against the Clerk stand-in', () => {
  const fixture = useClerkApp();

  describe('garbage from Clerk', () => {
    it('answers 503 with a message that names the problem when Clerk answers garbage or nothing', async () => {
      const token = fixture.clerk.mintOpaqueToken();
      const unreadable =
        /^Clerk's answer while trying to verify an OAuth access token could not be read: the body was cut short or was not the JSON Clerk sends\.$/;
      const expected: [StandInFault, RegExp][] = [
        ['nonJson', unreadable],
        ['unexpectedJson', unreadable],
        ['brokenJson', unreadable],
        ['truncated', unreadable],
        ['down', /^No answer came from Clerk while trying to verify an OAuth access token: the connection failed\.$/],
        ['error500', /Clerk answered HTTP 500 /],
      ];
      for (const [fault, message] of expected) {
        fixture.clerk.setFault(fault, { scope: 'bapi' });
        const response = await post(fixture.server, token);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect(((await response.json()) as { error_description: string }).error_description).toMatch(message);
      }
    });
  });

  describe('identity claims', () => {
    const malformedIdentities: [string, JwtOptions][] = [
      ['an empty sub', { claims: { sub: '' } }],
      ['a sub that is only spaces', { claims: { sub: '   ' } }],
      ['a numeric sub', { claims: { sub: 42 } }],
      ['an object sub', { claims: { sub: { id: 'user_alice' } } }],
      ['a numeric client_id', { claims: { client_id: 7 } }],
      ['an empty client_id', { claims: { client_id: '' } }],
      ['an azp that is an object', { omitClaims: ['client_id'], claims: { azp: { id: 'client' } } }],
      ['a scope claim that is an array', { claims: { scope: ['profile', 'email'] } }],
      ['an scp claim that is a number', { scopeClaim: 'scp', claims: { scp: 1 } }],
      ['an scp array with a non-string member', { scopeClaim: 'scp', claims: { scp: ['profile', 1] } }],
      ['an aud that is a number', { claims: { aud: 12 } }],
    ];
    for (const [name, options] of malformedIdentities) {
      it(`refuses a JWT with ${name} with 401 invalid_token, never 403`, async () => {
        await expectInvalidToken(
          await post(fixture.server, await fixture.clerk.mintJwt({ scopes: ['profile', 'email'], ...options })),
          /claim/,
        );
      });
    }

    it('still accepts azp in place of client_id, and an scp array', async () => {
      const token = await fixture.clerk.mintJwt({
        omitClaims: ['client_id'],
        claims: { azp: 'client_azp' },
        scopeClaim: 'scp',
        scopes: ['profile'],
      });
      expect((await post(fixture.server, token)).status).toBe(200);
    });
  });

  describe('issued-at', () => {
    const ONE_YEAR_SECONDS = 365 * 24 * 3600;
    const nowSeconds = (): number => Math.floor(Date.now() / 1000);

    it('refuses a JWT issued a year in the future, and accepts one issued within the clock skew', async () => {
      const future = await fixture.clerk.mintJwt({
        claims: { iat: nowSeconds() + ONE_YEAR_SECONDS },
        expiresInSeconds: ONE_YEAR_SECONDS + 3600,
      });
      await expectInvalidToken(await post(fixture.server, future), /iat/);
      const slightlyAhead = await fixture.clerk.mintJwt({ claims: { iat: nowSeconds() + 2 } });
      expect((await post(fixture.server, slightlyAhead)).status).toBe(200);
    });
  });

  describe('signature spelling', () => {
    const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

    /** The same token with the last signature character changed only in bits base64url leaves unused. */
    const respellSignature = (token: string): string => {
      const last = token.at(-1) ?? '';
      return `${token.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(last) ^ 1]}`;
    };

    it('refuses a non-canonical spelling of a signature it has already accepted', async () => {
      const token = await fixture.clerk.mintJwt();
      expect((await post(fixture.server, token)).status).toBe(200);
      await expectInvalidToken(await post(fixture.server, respellSignature(token)), /malformed/);
      expect((await post(fixture.server, token)).status).toBe(200);
    });
  });

  describe('signing keys during a JWKS outage', () => {
    it('fetches the keys once, not once per token, when they were never fetched, and answers 503 with Retry-After', async () => {
      const clock = new TestClock();
      // A fresh app: the shared one has its keys already.
      await withApp(
        fixture.clerk,
        {},
        async (app) => {
          fixture.clerk.setFault('down', { scope: 'fapi' });
          fixture.clerk.resetHits();
          const tokens = await Promise.all(Array.from({ length: 21 }, () => fixture.clerk.mintJwt()));
          const sequential: Response[] = [];
          for (const token of tokens.slice(0, 10)) sequential.push(await post(app, token));
          const concurrent = await Promise.all(tokens.slice(10, 20).map((token) => post(app, token)));
          const answers = [...sequential, ...concurrent];
          for (const response of answers) expect(response.status).toBe(503);
          // The failed fetch itself: the configured delay. Then: when the next fetch may start (the
          // 30 s cooldown), since asking sooner would only be refused again.
          expect(answers.map((response) => response.headers.get('retry-after'))).toEqual([
            '5',
            ...Array.from({ length: 19 }, () => '30'),
          ]);
          clock.advance(20_000);
          expect((await post(app, tokens[20])).headers.get('retry-after')).toBe('10');
          expect(fixture.clerk.hits('fapiJwks')).toBe(1);
        },
        { clock },
      );
    });
  });

  describe('an absolute-form request target', () => {
    /** fetch() always sends origin-form, so this speaks HTTP/1.1 through node:http with the target as given. */
    const postTo = async (target: string): Promise<{ status: number; body: string }> => {
      const token = await fixture.clerk.mintJwt();
      const { host, port } = new URL(fixture.server.baseUrl);
      return new Promise((resolve, reject) => {
        const request = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: target,
            method: 'POST',
            headers: {
              Host: host,
              'Content-Type': 'application/json',
              Accept: ACCEPT,
              Authorization: `Bearer ${token}`,
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
            );
          },
        );
        request.on('error', reject);
        request.end(callTool('whoami'));
      });
    };

    it('is judged by its own authority, not by the Host header (RFC 9112 §3.2.2)', async () => {
      const foreign = await postTo('http://evil.example/mcp');
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body)).toEqual({
        jsonrpc: '2.0',
        error: { code: -32000, message: expect.stringContaining('evil.example') },
        id: null,
      });
    });

    it('is served when its authority is ours', async () => {
      expect((await postTo(`${fixture.server.baseUrl}/mcp`)).status).toBe(200);
    });
  });
});
