import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { importJWK, SignJWT, type JWK } from 'jose';
import { EmbeddedStateFile } from '../../src/providers/embedded/embedded-state-file.js';
import { browseToRedirect, MemoryOAuthClient, signInAndAllow } from '../support/oauth-browser.js';
import { freePort, startTestApp, type TestApp } from '../support/test-app.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
const structured = (result: unknown): Record<string, unknown> =>
  (result as { structuredContent: Record<string, unknown> }).structuredContent;

async function signJwt(key: JWK, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.kid })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(await importJWK(key, 'RS256'));
}

describe('embedded authorization server: the official SDK client signs in end to end', () => {
  let directory: string;
  let stateFile: string;
  let port: number;
  let server: TestApp;
  const requests: string[] = [];
  const recordingFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
    return fetch(input, init);
  };
  const oauthClient = new MemoryOAuthClient(REDIRECT);

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'embedded-auth-'));
    stateFile = join(directory, 'state.json');
    port = await freePort();
    server = await startTestApp(null, { EMBEDDED_AUTH_STATE_FILE: stateFile }, { port });
  });
  afterAll(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('goes from a 401 to calling every tool as the signed-in user', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
      authProvider: oauthClient,
      fetch: recordingFetch,
    });
    await expect(new Client({ name: 'e2e', version: '1.0.0' }).connect(transport)).rejects.toThrow(UnauthorizedError);

    expect(requests).toEqual([
      'POST /mcp',
      'GET /.well-known/oauth-protected-resource/mcp',
      'GET /.well-known/oauth-authorization-server',
      'POST /oauth/register',
    ]);
    const authorizationUrl = oauthClient.authorizationUrl as URL;
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${server.baseUrl}/oauth/authorize`);
    expect(authorizationUrl.searchParams.get('resource')).toBe(server.mcpUrl);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('scope')).toBe('profile email');

    const callback = await browseToRedirect(authorizationUrl, REDIRECT, signInAndAllow('alice'));
    expect(callback.searchParams.get('iss')).toBe(server.baseUrl);
    await transport.finishAuth(callback.searchParams.get('code') as string);
    expect(requests.at(-1)).toBe('POST /oauth/token');
    const tokens = oauthClient.tokens();
    expect(tokens?.refresh_token).toBeTruthy();

    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: oauthClient }));
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
        'get_email',
        'get_profile',
        'server_status',
        'whoami',
      ]);
      const whoami = structured(await client.callTool({ name: 'whoami', arguments: {} }));
      expect(whoami).toMatchObject({ userId: 'dev_alice', scopes: ['profile', 'email'], tokenKind: 'jwt' });
      expect(whoami.clientId).toBe(oauthClient.clientInformation()?.client_id);
      expect(structured(await client.callTool({ name: 'get_profile', arguments: {} }))).toEqual({
        userId: 'dev_alice',
        name: 'Alice (development)',
        firstName: 'Alice',
        lastName: '(development)',
        username: 'alice',
        imageUrl: null,
      });
      expect(structured(await client.callTool({ name: 'get_email', arguments: {} }))).toEqual({
        userId: 'dev_alice',
        email: 'alice@example.test',
        verified: true,
      });
    } finally {
      await client.close();
    }
  });

  it('issues JWT access tokens bound to the MCP resource', () => {
    const [, payload] = (oauthClient.tokens()?.access_token ?? '').split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: server.baseUrl, aud: server.mcpUrl, sub: 'dev_alice', scope: 'profile email' });
  });

  it('refreshes with the refresh token and the new access token works', async () => {
    const before = oauthClient.tokens();
    expect(await auth(oauthClient, { serverUrl: server.mcpUrl })).toBe('AUTHORIZED');
    const after = oauthClient.tokens();
    expect(after?.access_token).not.toBe(before?.access_token);
    const response = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${after?.access_token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(response.status).toBe(200);
  });

  it('refuses a token its own keys signed for another resource', async () => {
    const { signingKey } = new EmbeddedStateFile(stateFile);
    const token = await signJwt(signingKey, {
      iss: server.baseUrl,
      sub: 'dev_alice',
      aud: 'https://other.example.com/mcp',
      scope: 'profile email',
    });
    const response = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('issued for another resource');
  });

  it('refuses a token signed with another embedded instance’s keys', async () => {
    const otherDirectory = mkdtempSync(join(tmpdir(), 'embedded-other-'));
    try {
      const { signingKey } = new EmbeddedStateFile(join(otherDirectory, 'state.json'));
      const token = await signJwt(signingKey, {
        iss: server.baseUrl,
        sub: 'dev_alice',
        aud: server.mcpUrl,
        scope: 'profile email',
      });
      const response = await fetch(server.mcpUrl, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      rmSync(otherDirectory, { recursive: true, force: true });
    }
  });

  it('refuses to issue a token for a resource it does not serve', async () => {
    const other = new MemoryOAuthClient(REDIRECT, 'wrong resource');
    const result = await auth(other, { serverUrl: server.mcpUrl });
    expect(result).toBe('REDIRECT');
    const url = new URL(other.authorizationUrl as URL);
    url.searchParams.set('resource', 'https://other.example.com/mcp');
    const callback = await browseToRedirect(url, REDIRECT, signInAndAllow('bob'));
    expect(callback.searchParams.get('error')).toBe('invalid_target');
  });

  it('keeps its keys and registrations across a restart: the old token and client still work', async () => {
    const accessToken = oauthClient.tokens()?.access_token as string;
    await server.close();
    server = await startTestApp(null, { EMBEDDED_AUTH_STATE_FILE: stateFile }, { port });
    const response = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${accessToken}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(response.status).toBe(200);
    expect(await auth(oauthClient, { serverUrl: server.mcpUrl })).toBe('AUTHORIZED');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { signingKey: JWK };
    expect(state.signingKey.d).toBeDefined();
  });
});
