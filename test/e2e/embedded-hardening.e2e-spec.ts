import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { ConfigurationError } from '../../src/config/environment.js';
import { normalizeUserName } from '../../src/providers/embedded/development-accounts.js';
import { EMBEDDED_AUTH_CLOCK } from '../../src/providers/embedded/embedded-authorization-server.js';
import { StateFileNotWritableError } from '../../src/providers/embedded/embedded-state-file.js';
import { browseToRedirect, MemoryOAuthClient, signInAndAllow, type PageAction } from '../support/oauth-browser.js';
import { bearer, rpc, send } from '../support/protocol-eras.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

interface TokenAnswer {
  status: number;
  body: { access_token?: string; refresh_token?: string; scope?: string; error?: string };
}

describe('embedded authorization server hardening', () => {
  let directory: string;
  let server: TestApp;
  // The server's clock for the refresh-token reuse window; tests move it instead of waiting.
  let clockMs = Date.now();

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'embedded-hardening-'));
    server = await startTestApp(
      null,
      { EMBEDDED_AUTH_STATE_FILE: join(directory, 'state.json') },
      { override: (builder) => builder.overrideProvider(EMBEDDED_AUTH_CLOCK).useValue(() => clockMs) },
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** Registers a client through the SDK, asking for `scope` (or what the server advertises); its authorization URL. */
  async function authorizationUrlFor(client: MemoryOAuthClient, scope?: string): Promise<URL> {
    expect(await auth(client, { serverUrl: server.mcpUrl, scope })).toBe('REDIRECT');
    return new URL(client.authorizationUrl as URL);
  }

  async function signIn(
    act: PageAction = signInAndAllow('alice'),
    scope?: string,
  ): Promise<{ client: MemoryOAuthClient; tokens: OAuthTokens }> {
    const client = new MemoryOAuthClient(REDIRECT);
    const callback = await browseToRedirect(await authorizationUrlFor(client, scope), REDIRECT, act);
    expect(
      await auth(client, { serverUrl: server.mcpUrl, authorizationCode: callback.searchParams.get('code') as string }),
    ).toBe('AUTHORIZED');
    return { client, tokens: client.tokens() as OAuthTokens };
  }

  async function refresh(client: MemoryOAuthClient, refreshToken: string): Promise<TokenAnswer> {
    const response = await fetch(`${server.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: client.clientInformation()?.client_id as string,
      }),
    });
    return { status: response.status, body: (await response.json()) as TokenAnswer['body'] };
  }

  async function listToolsStatus(accessToken: string): Promise<number> {
    return (await send(server.mcpUrl, rpc('legacy', 'tools/list'), bearer(accessToken))).status;
  }

  describe('refresh tokens used twice', () => {
    it('answers two concurrent refreshes with the same token, and the grant survives', async () => {
      const { client, tokens } = await signIn();
      const answers = await Promise.all([
        refresh(client, tokens.refresh_token as string),
        refresh(client, tokens.refresh_token as string),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      for (const { body } of answers) {
        // Still rotated: each answer carries a new refresh token.
        expect(body.refresh_token).toBeTruthy();
        expect(body.refresh_token).not.toBe(tokens.refresh_token);
        expect(await listToolsStatus(body.access_token as string)).toBe(200);
      }
      const next = await refresh(client, answers[1].body.refresh_token as string);
      expect(next.status).toBe(200);
      expect(await listToolsStatus(next.body.access_token as string)).toBe(200);
    });

    it('answers a sequential reuse within the window, and both successors keep working', async () => {
      const { client, tokens } = await signIn();
      const first = await refresh(client, tokens.refresh_token as string);
      expect(first.status).toBe(200);
      clockMs += 5_000;
      const reuse = await refresh(client, tokens.refresh_token as string);
      expect(reuse).toMatchObject({ status: 200, body: { scope: 'profile email' } });
      expect((await refresh(client, first.body.refresh_token as string)).status).toBe(200);
      expect((await refresh(client, reuse.body.refresh_token as string)).status).toBe(200);
    });

    it('still treats a reuse after the window as theft: refused, and the whole grant is revoked', async () => {
      const { client, tokens } = await signIn();
      const first = await refresh(client, tokens.refresh_token as string);
      expect(first.status).toBe(200);
      clockMs += 31_000;
      expect(await refresh(client, tokens.refresh_token as string)).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
      expect(await refresh(client, first.body.refresh_token as string)).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
    });
  });

  describe('authorization code flow only', () => {
    it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
      'advertises only code and its grants at %s',
      async (path) => {
        const metadata = (await (await fetch(`${server.baseUrl}${path}`)).json()) as Record<string, string[]>;
        expect(metadata.response_types_supported).toEqual(['code']);
        expect([...metadata.grant_types_supported].sort()).toEqual(['authorization_code', 'refresh_token']);
      },
    );

    it('refuses to register a client for the implicit flow', async () => {
      const response = await fetch(`${server.baseUrl}/oauth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: ['https://client.example.com/callback'],
          response_types: ['id_token'],
          grant_types: ['implicit'],
          token_endpoint_auth_method: 'none',
        }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_client_metadata' });
    });

    it.each(['id_token', 'id_token token', 'code id_token', 'token'])(
      'refuses an authorization request with response_type=%s',
      async (responseType) => {
        const url = await authorizationUrlFor(new MemoryOAuthClient(REDIRECT), 'openid profile');
        url.searchParams.set('response_type', responseType);
        url.searchParams.set('nonce', 'n-0S6_WzA2Mj');
        const response = await fetch(url, { redirect: 'manual' });
        const location = new URL(response.headers.get('location') ?? `${server.baseUrl}/none`);
        const answer = new URLSearchParams(location.hash.slice(1) || location.search);
        expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
        expect(answer.get('error')).toBe('unsupported_response_type');
        expect(answer.get('code')).toBeNull();
        expect(answer.get('id_token')).toBeNull();
      },
    );
  });

  describe('consent page', () => {
    it('lists exactly the scopes the access token gets, not offline_access', async () => {
      let consentHtml = '';
      const allow = signInAndAllow('carol');
      const { tokens } = await signIn(
        (html, forms) => {
          if (html.includes('Allow')) consentHtml = html;
          return allow(html, forms);
        },
        // What Inspector v2 and mcp-remote ask for (the SDK adds prompt=consent, without which oidc-provider drops it).
        'profile email offline_access',
      );
      expect(tokens.refresh_token).toBeTruthy();
      const listed = [...(/<ul>([\s\S]*?)<\/ul>/.exec(consentHtml)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map(
        ([, item]) => item,
      );
      expect(listed).toEqual((tokens.scope ?? '').split(' '));
      expect(listed).toEqual(['profile', 'email']);
      expect(consentHtml).not.toContain('offline_access');
      // A refresh token is what offline_access would have meant; say so in words.
      expect(consentHtml).toContain('stay signed in');
    });
  });

  describe('sign-in page', () => {
    async function signInPageHtml(): Promise<string> {
      let page = '';
      await expect(
        browseToRedirect(await authorizationUrlFor(new MemoryOAuthClient(REDIRECT)), REDIRECT, (html) => {
          page = html;
          throw new Error('stop at the sign-in page');
        }),
      ).rejects.toThrow('stop at the sign-in page');
      return page;
    }
    const attribute = (html: string, name: string): string =>
      (new RegExp(`<input name="username"[^>]* ${name}="([^"]*)"`).exec(html)?.[1] ?? '')
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"');

    it('validates the user name in the browser with the server’s own rule, and says what it wants', async () => {
      const html = await signInPageHtml();
      // Browsers compile `pattern` with the v flag, anchored; an invalid pattern is silently ignored.
      const browserCheck = new RegExp(`^(?:${attribute(html, 'pattern')})$`, 'v');
      const samples = [
        'alice',
        'Bob',
        'a.b-c_d',
        'x'.repeat(40),
        'x'.repeat(41),
        'alice smith',
        '-alice',
        '.x',
        'élodie',
        'al/ice',
        'a+b',
      ];
      for (const sample of samples)
        expect([sample, browserCheck.test(sample)]).toEqual([sample, normalizeUserName(sample) !== undefined]);
      expect(attribute(html, 'title')).toMatch(/letters, digits/i);
    });

    it('shows the form again with the reason after a refused user name, and the next try signs in', async () => {
      const pages: string[] = [];
      const allow = signInAndAllow('alice');
      const { tokens } = await signIn((html, forms) => {
        pages.push(html);
        if (pages.length === 1) return { action: forms[0].action, fields: { username: 'alice smith' } };
        return allow(html, forms);
      });
      expect(pages).toHaveLength(3);
      expect(pages[1]).toContain('name="username"');
      expect(pages[1]).toMatch(/role="alert"[^>]*>[^<]*letters, digits/i);
      expect(pages[1]).toContain('value="alice smith"');
      expect(pages[2]).toContain('Allow');
      const claims = JSON.parse(Buffer.from((tokens.access_token ?? '').split('.')[1], 'base64url').toString()) as {
        sub: string;
      };
      expect(claims.sub).toBe('dev_alice');
    });
  });
});

describe('embedded authorization server state file', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'embedded-state-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('refuses to start when the state file cannot be written, naming the cause and the fix', async () => {
    const regularFile = join(directory, 'not-a-folder');
    writeFileSync(regularFile, '');
    const stateFile = join(regularFile, 'data', 'embedded-auth.json');
    const failure = await startTestApp(null, { EMBEDDED_AUTH_STATE_FILE: stateFile }).then(
      (app) => app.close().then(() => undefined),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigurationError);
    const message = (failure as Error).message;
    expect(message).toContain(stateFile);
    expect(message).toContain(`${regularFile} is a file, not a folder`);
    expect(message).toContain(`mount a writable volume at ${join(regularFile, 'data')}`);
    expect(message).toContain('or set EMBEDDED_AUTH_STATE_FILE to a writable path');
    expect(message.split('\n')).toHaveLength(2);
  });

  it('names a read-only filesystem as the cause when the system says EROFS', () => {
    // Node's own shape for the error mkdir(2) gives on a read-only mount (docker run --read-only).
    const errno = -osConstants.errno.EROFS;
    const cause = Object.assign(new Error(`${getSystemErrorName(errno)}: read-only file system, mkdir '/app/.data'`), {
      errno,
      code: getSystemErrorName(errno),
      syscall: 'mkdir',
      path: '/app/.data',
    });
    const message = new StateFileNotWritableError('/app/.data/embedded-auth.json', cause).message;
    expect(message).toContain('/app/.data is on a read-only filesystem');
    expect(message).toContain('mount a writable volume at /app/.data');
    expect(message).toContain('EMBEDDED_AUTH_STATE_FILE');
  });
});
