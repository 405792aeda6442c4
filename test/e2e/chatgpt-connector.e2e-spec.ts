import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { importJWK, SignJWT } from 'jose';
import { EmbeddedStateFile } from '../../src/providers/embedded/embedded-state-file.js';
import { browseToRedirect, signInAndAllow } from '../support/oauth-browser.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const CALLBACK = 'https://chatgpt.com/connector/oauth/e2e-callback-id';
const ACCEPT = 'application/json, text/event-stream';

interface RpcResponse {
  result?: Record<string, unknown> & {
    tools?: Record<string, unknown>[];
    isError?: boolean;
    _meta?: Record<string, unknown>;
    structuredContent?: Record<string, unknown>;
  };
  error?: { code: number; message: string };
}

/** Plays ChatGPT's connector: discovery, registration, sign-in and tool calls, as its guide describes. */
class ChatGptConnector {
  clientId?: string;
  private metadata?: Record<string, string>;
  resource?: string;

  constructor(private readonly server: TestApp) {}

  async rpc(
    method: string,
    params: Record<string, unknown>,
    token?: string,
  ): Promise<{ status: number; body: RpcResponse; headers: Headers }> {
    const response = await fetch(this.server.mcpUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: ACCEPT,
        Origin: 'https://chatgpt.com',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as RpcResponse) : {}, headers: response.headers };
  }

  async discover(): Promise<void> {
    const prm = (await (await fetch(`${this.server.baseUrl}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    this.resource = prm.resource;
    this.metadata = (await (
      await fetch(`${prm.authorization_servers[0]}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, string>;
  }

  async register(): Promise<void> {
    const response = await fetch(this.metadata?.registration_endpoint as string, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_name: 'ChatGPT',
        redirect_uris: [CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(response.status).toBe(201);
    this.clientId = ((await response.json()) as { client_id: string }).client_id;
  }

  /** Authorization code with PKCE and the resource parameter exactly as the metadata gives it. */
  async signIn(userName: string, scope: string): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(this.metadata?.authorization_endpoint as string);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.clientId as string,
      redirect_uri: CALLBACK,
      scope,
      state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: this.resource as string,
    }).toString();
    const callback = await browseToRedirect(url, CALLBACK, signInAndAllow(userName));
    const token = await fetch(this.metadata?.token_endpoint as string, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') as string,
        redirect_uri: CALLBACK,
        client_id: this.clientId as string,
        code_verifier: verifier,
        resource: this.resource as string,
      }).toString(),
    });
    const body = (await token.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`token exchange failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }
}

/** The `scope` a WWW-Authenticate challenge asks for. */
const challengedScope = (challenge: string): string => /scope="([^"]*)"/.exec(challenge)?.[1] ?? '';

describe('ChatGPT connector, mixed auth, against the embedded authorization server', () => {
  let directory: string;
  let server: TestApp;
  let chatgpt: ChatGptConnector;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'chatgpt-'));
    server = await startTestApp(null, {
      MCP_AUTH_MODE: 'mixed',
      EMBEDDED_AUTH_STATE_FILE: join(directory, 'state.json'),
    });
    chatgpt = new ChatGptConnector(server);
  });
  afterAll(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('probes the authorization-server documents on our host with HEAD and GET', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const head = await fetch(`${server.baseUrl}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      const get = await fetch(`${server.baseUrl}${path}`);
      expect(get.status).toBe(200);
      expect(get.headers.get('content-type')).toMatch(/^application\/json/);
      const document = (await get.json()) as { issuer: string; code_challenge_methods_supported: string[] };
      expect(document.issuer).toBe(server.baseUrl);
      expect(document.code_challenge_methods_supported).toContain('S256');
    }
  });

  it('lists tools anonymously, each with its security schemes at the top and mirrored in _meta', async () => {
    const { status, body } = await chatgpt.rpc('tools/list', {});
    expect(status).toBe(200);
    const schemes = Object.fromEntries(
      (body.result?.tools ?? []).map((tool): [string, unknown] => [String(tool.name), tool.securitySchemes]),
    );
    expect(schemes).toEqual({
      whoami: [{ type: 'oauth2' }],
      get_profile: [{ type: 'oauth2', scopes: ['profile'] }],
      get_email: [{ type: 'oauth2', scopes: ['email'] }],
      server_status: [{ type: 'noauth' }],
    });
    for (const tool of body.result?.tools ?? [])
      expect((tool._meta as Record<string, unknown>).securitySchemes).toEqual(tool.securitySchemes);
  });

  it('runs the noauth tool anonymously', async () => {
    const { body } = await chatgpt.rpc('tools/call', { name: 'server_status', arguments: {} });
    expect(body.result?.isError).toBeUndefined();
    expect(body.result?.structuredContent).toMatchObject({
      status: 'ok',
      signedIn: false,
      scopesOffered: ['profile', 'email'],
      authMode: 'mixed',
    });
  });

  it('answers a protected tool called anonymously with the mcp/www_authenticate challenge, then signs in and succeeds', async () => {
    const anonymous = await chatgpt.rpc('tools/call', { name: 'get_email', arguments: {} });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.result?.isError).toBe(true);
    const challenges = anonymous.body.result?._meta?.['mcp/www_authenticate'] as string[];
    expect(challenges).toEqual([
      `Bearer resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource/mcp", scope="profile email", error="insufficient_scope", error_description="Sign in to use get_email."`,
    ]);

    await chatgpt.discover();
    expect(chatgpt.resource).toBe(server.mcpUrl);
    await chatgpt.register();
    const token = await chatgpt.signIn('carol', challengedScope(challenges[0]));

    const signedIn = await chatgpt.rpc('tools/call', { name: 'get_email', arguments: {} }, token);
    expect(signedIn.body.result?.isError).toBeUndefined();
    expect(signedIn.body.result?.structuredContent).toEqual({
      userId: 'dev_carol',
      email: 'carol@example.test',
      verified: true,
    });
    const status = await chatgpt.rpc('tools/call', { name: 'server_status', arguments: {} }, token);
    expect(status.body.result?.structuredContent).toMatchObject({ signedIn: true, userId: 'dev_carol' });
  });

  it('asks for the missing scope in the tool result when the token lacks it (step-up)', async () => {
    const token = await chatgpt.signIn('dave', 'profile');
    const lacking = await chatgpt.rpc('tools/call', { name: 'get_email', arguments: {} }, token);
    expect(lacking.body.result?.isError).toBe(true);
    const [challenge] = lacking.body.result?._meta?.['mcp/www_authenticate'] as string[];
    expect(challenge).toContain('error="insufficient_scope", error_description="get_email needs the scope email."');
    const upgraded = await chatgpt.signIn('dave', challengedScope(challenge));
    expect(
      (await chatgpt.rpc('tools/call', { name: 'get_email', arguments: {} }, upgraded)).body.result?.structuredContent,
    ).toMatchObject({ userId: 'dev_dave' });
  });

  it('answers an expired token with an invalid_token tool challenge, and a bad token with HTTP 401', async () => {
    const { signingKey } = new EmbeddedStateFile(join(directory, 'state.json'));
    const expired = await new SignJWT({ scope: 'profile email', aud: server.mcpUrl })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: signingKey.kid })
      .setIssuer(server.baseUrl)
      .setSubject('dev_erin')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(await importJWK(signingKey, 'RS256'));
    const result = await chatgpt.rpc('tools/call', { name: 'whoami', arguments: {} }, expired);
    expect(result.status).toBe(200);
    expect((result.body.result?._meta?.['mcp/www_authenticate'] as string[])[0]).toContain(
      'error="invalid_token", error_description="The access token has expired; sign in again."',
    );

    const forged = await chatgpt.rpc('tools/list', {}, 'not-a-real-token');
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('ChatGPT connector, required auth: step-up through HTTP 403', () => {
  let directory: string;
  let server: TestApp;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'chatgpt-required-'));
    server = await startTestApp(null, { EMBEDDED_AUTH_STATE_FILE: join(directory, 'state.json') });
  });
  afterAll(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('403 insufficient_scope → token with the extra scope → success', async () => {
    const chatgpt = new ChatGptConnector(server);
    expect((await chatgpt.rpc('tools/list', {})).status).toBe(401);
    await chatgpt.discover();
    await chatgpt.register();
    const narrow = await chatgpt.signIn('frank', 'profile');
    const refused = await chatgpt.rpc('tools/call', { name: 'get_email', arguments: {} }, narrow);
    expect(refused.status).toBe(403);
    const challenge = refused.headers.get('www-authenticate') as string;
    expect(challenge).toBe(
      `Bearer resource_metadata="${server.baseUrl}/.well-known/oauth-protected-resource/mcp", scope="profile email", error="insufficient_scope", error_description="get_email needs the scope email."`,
    );
    const wide = await chatgpt.signIn('frank', challengedScope(challenge));
    const allowed = await chatgpt.rpc('tools/call', { name: 'get_email', arguments: {} }, wide);
    expect(allowed.status).toBe(200);
    expect(allowed.body.result?.structuredContent).toMatchObject({ email: 'frank@example.test' });
  });
});

describe('tools/list for callers who may not call a tool', () => {
  let directory: string;
  let server: TestApp;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'hide-'));
    server = await startTestApp(null, {
      MCP_AUTH_MODE: 'mixed',
      MCP_HIDE_UNAUTHORIZED_TOOLS: 'true',
      EMBEDDED_AUTH_STATE_FILE: join(directory, 'state.json'),
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('hides them when MCP_HIDE_UNAUTHORIZED_TOOLS=true', async () => {
    const chatgpt = new ChatGptConnector(server);
    const anonymous = await chatgpt.rpc('tools/list', {});
    expect(anonymous.body.result?.tools?.map((tool) => tool.name)).toEqual(['server_status']);
    await chatgpt.discover();
    await chatgpt.register();
    const token = await chatgpt.signIn('gina', 'profile');
    const signedIn = await chatgpt.rpc('tools/list', {}, token);
    expect(signedIn.body.result?.tools?.map((tool) => tool.name).sort()).toEqual([
      'get_profile',
      'server_status',
      'whoami',
    ]);
  });
});

describe('Origin and Host validation', () => {
  let directory: string;
  let server: TestApp;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'origin-'));
    server = await startTestApp(null, {
      MCP_AUTH_MODE: 'mixed',
      EMBEDDED_AUTH_STATE_FILE: join(directory, 'state.json'),
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const listWith = (headers: Record<string, string>): Promise<Response> =>
    fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: ACCEPT, ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });

  it('allows ChatGPT, our own origin, local tools in development, and requests without Origin', async () => {
    for (const origin of ['https://chatgpt.com', 'https://chat.openai.com', server.baseUrl, 'http://localhost:6274'])
      expect((await listWith({ Origin: origin })).status).toBe(200);
    expect((await listWith({})).status).toBe(200);
  });

  it('refuses any other Origin with 403 and a JSON-RPC error', async () => {
    const response = await listWith({ Origin: 'https://evil.example.com' });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringContaining('https://evil.example.com') },
      id: null,
    });
  });

  it('refuses a Host that is not ours', async () => {
    const port = new URL(server.baseUrl).port;
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'POST',
          headers: { Host: 'rebound.evil.example.com', 'Content-Type': 'application/json', Accept: ACCEPT },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }));
    });
    expect(status).toBe(403);
  });

  it('takes its allow-list from ALLOWED_ORIGINS', async () => {
    const custom = await startTestApp(null, {
      ALLOWED_ORIGINS: 'https://app.example.com',
      MCP_AUTH_MODE: 'mixed',
      EMBEDDED_AUTH_STATE_FILE: join(directory, 'custom.json'),
    });
    try {
      const call = (origin: string): Promise<Response> =>
        fetch(custom.mcpUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: ACCEPT, Origin: origin },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
        });
      expect((await call('https://app.example.com')).status).toBe(200);
      expect((await call('https://chatgpt.com')).status).toBe(403);
    } finally {
      await custom.close();
    }
  });
});
