import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Client as ModernSdkClient,
  InsufficientScopeError,
  StreamableHTTPClientTransport as ModernSdkTransport,
  UnauthorizedError as ModernUnauthorizedError,
} from '@modelcontextprotocol/client';
import { Client as LegacySdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacySdkTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { importJWK, SignJWT } from 'jose';
import { EmbeddedStateFile } from '../../src/providers/embedded/embedded-state-file.js';
import { ModernMemoryOAuthClient } from '../support/modern-oauth-client.js';
import { browseToRedirect, signInAndAllow } from '../support/oauth-browser.js';
import {
  bearer,
  CLIENT_INFO,
  connectModernSdkClient,
  LEGACY_VERSION,
  MODERN_VERSION,
  rpc,
  send,
  type RpcRequest,
} from '../support/protocol-eras.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
type Mode = 'legacy' | 'auto' | { pin: string };

const structured = (result: unknown): Record<string, unknown> =>
  (result as { structuredContent: Record<string, unknown> }).structuredContent;

/** An embedded server in a directory of its own, and tokens signed with its key as its own token endpoint would. */
class EmbeddedServer {
  server!: TestApp;
  private readonly directory = mkdtempSync(join(tmpdir(), 'eras-'));

  async start(env: Record<string, string> = {}): Promise<this> {
    this.server = await startTestApp(null, { EMBEDDED_AUTH_STATE_FILE: join(this.directory, 'state.json'), ...env });
    return this;
  }

  async close(): Promise<void> {
    await this.server.close();
    rmSync(this.directory, { recursive: true, force: true });
  }

  async token(userId: string, scopes: string[]): Promise<string> {
    const { signingKey } = new EmbeddedStateFile(join(this.directory, 'state.json'));
    return new SignJWT({ scope: scopes.join(' '), aud: this.server.mcpUrl, client_id: 'e2e-client' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: signingKey.kid })
      .setIssuer(this.server.baseUrl)
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(await importJWK(signingKey, 'RS256'));
  }
}

describe('the SDK 2.x client signs in through the embedded authorization server and settles on an era', () => {
  const embedded = new EmbeddedServer();
  beforeAll(async () => {
    await embedded.start();
  });
  afterAll(() => embedded.close());

  /** From a 401 to a connected client: discovery, registration, PKCE sign-in, token, then connect again. */
  /** `default` leaves the client's version negotiation as the SDK ships it. */
  async function signInAndConnect(
    mode: Mode | 'default',
    userName: string,
  ): Promise<{ client: ModernSdkClient; requests: string[] }> {
    const options = mode === 'default' ? {} : { versionNegotiation: { mode } };
    const requests: string[] = [];
    const recordingFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = input instanceof Request ? input.url : input.toString();
      requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
      return fetch(input, init);
    };
    const provider = new ModernMemoryOAuthClient(REDIRECT, `e2e ${userName}`);
    const url = new URL(embedded.server.mcpUrl);
    const first = new ModernSdkTransport(url, { authProvider: provider, fetch: recordingFetch });
    await expect(new ModernSdkClient(CLIENT_INFO, options).connect(first)).rejects.toThrow(ModernUnauthorizedError);
    const authorizationUrl = provider.authorizationUrl as URL;
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(embedded.server.mcpUrl);
    const callback = await browseToRedirect(authorizationUrl, REDIRECT, signInAndAllow(userName));
    await first.finishAuth(callback.searchParams);
    expect(provider.tokens()?.access_token).toBeTruthy();
    const client = new ModernSdkClient(CLIENT_INFO, options);
    await client.connect(new ModernSdkTransport(url, { authProvider: provider, fetch: recordingFetch }));
    return { client, requests };
  }

  async function expectEveryToolWorks(client: ModernSdkClient, userId: string): Promise<void> {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['get_email', 'get_profile', 'server_status', 'whoami']);
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} }))).toMatchObject({
      userId,
      scopes: ['profile', 'email'],
    });
    expect(structured(await client.callTool({ name: 'get_profile', arguments: {} }))).toMatchObject({ userId });
    expect(structured(await client.callTool({ name: 'get_email', arguments: {} }))).toMatchObject({ userId });
    expect(structured(await client.callTool({ name: 'server_status', arguments: {} }))).toMatchObject({
      signedIn: true,
      userId,
    });
  }

  it('pinned to 2026-07-28: from the probe’s 401 through discovery, registration, PKCE and token, to every tool', async () => {
    const { client, requests } = await signInAndConnect({ pin: MODERN_VERSION }, 'alice');
    try {
      expect(requests.slice(0, 4)).toEqual([
        'POST /mcp',
        'GET /.well-known/oauth-protected-resource/mcp',
        'GET /.well-known/oauth-authorization-server',
        'POST /oauth/register',
      ]);
      expect(requests).toContain('POST /oauth/token');
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_VERSION);
      expect(client.getProtocolEra()).toBe('modern');
      expect(client.getDiscoverResult()?._meta?.['io.modelcontextprotocol/serverInfo']).toEqual({
        name: 'nest-mcp-oauth',
        version: '0.1.0',
      });
      await expectEveryToolWorks(client, 'dev_alice');
    } finally {
      await client.close();
    }
  });

  it('in auto mode: probes, finds 2026-07-28 and settles on it', async () => {
    const { client } = await signInAndConnect('auto', 'bruno');
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_VERSION);
      expect(client.getProtocolEra()).toBe('modern');
      await expectEveryToolWorks(client, 'dev_bruno');
    } finally {
      await client.close();
    }
  });

  it('in its default mode, like the SDK 1.x client, settles on 2025-11-25', async () => {
    const { client } = await signInAndConnect('default', 'chloe');
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(LEGACY_VERSION);
      expect(client.getProtocolEra()).toBe('legacy');
      await expectEveryToolWorks(client, 'dev_chloe');
    } finally {
      await client.close();
    }
    const legacyClient = new LegacySdkClient(CLIENT_INFO);
    const transport = new LegacySdkTransport(new URL(embedded.server.mcpUrl), {
      requestInit: { headers: bearer(await embedded.token('dev_chloe', ['profile', 'email'])) },
    });
    await legacyClient.connect(transport);
    try {
      expect(transport.protocolVersion).toBe(LEGACY_VERSION);
      expect(structured(await legacyClient.callTool({ name: 'whoami', arguments: {} }))).toMatchObject({
        userId: 'dev_chloe',
      });
    } finally {
      await legacyClient.close();
    }
  });

  for (const mode of [{ pin: MODERN_VERSION }, 'legacy'] as const) {
    const era = mode === 'legacy' ? 'legacy' : 'modern';
    it(`step-up in the ${era} era: a tool call lacking a scope raises InsufficientScopeError naming every scope`, async () => {
      const client = await connectModernSdkClient(
        embedded.server.mcpUrl,
        await embedded.token('dev_dora', ['profile']),
        mode,
      );
      try {
        expect(client.getProtocolEra()).toBe(era);
        expect(structured(await client.callTool({ name: 'get_profile', arguments: {} }))).toMatchObject({
          userId: 'dev_dora',
        });
        const refusal = await client.callTool({ name: 'get_email', arguments: {} }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refusal).toBeInstanceOf(InsufficientScopeError);
        const { requiredScope, resourceMetadataUrl, errorDescription } = refusal as InsufficientScopeError;
        expect([requiredScope, resourceMetadataUrl?.href, errorDescription]).toEqual([
          'profile email',
          `${embedded.server.baseUrl}/.well-known/oauth-protected-resource/mcp`,
          'get_email needs the scope email.',
        ]);
      } finally {
        await client.close();
      }
    });
  }
});

describe('ChatGPT’s opening probe, replayed byte for byte', () => {
  const embedded = new EmbeddedServer();
  beforeAll(async () => {
    await embedded.start();
  });
  afterAll(() => embedded.close());

  const probe = (): RpcRequest => rpc('modern', 'server/discover', {}, 'openai-mcp-discover');

  it('without a token: the normal 401 challenge, never a protocol error', async () => {
    const answer = await send(embedded.server.mcpUrl, probe(), { Origin: 'https://chatgpt.com' });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${embedded.server.baseUrl}/.well-known/oauth-protected-resource/mcp", scope="profile email"`,
    );
    expect(answer.json).toEqual({ error: 'unauthorized', error_description: 'A bearer access token is required.' });
  });

  it('with a token: names this server, its capabilities and the version, echoing ChatGPT’s id', async () => {
    const answer = await send(embedded.server.mcpUrl, probe(), {
      Origin: 'https://chatgpt.com',
      ...bearer(await embedded.token('dev_erin', ['profile', 'email'])),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('mcp-session-id')).toBeNull();
    expect(answer.json).toEqual({
      jsonrpc: '2.0',
      id: 'openai-mcp-discover',
      result: {
        supportedVersions: [MODERN_VERSION],
        capabilities: { tools: { listChanged: false } },
        resultType: 'complete',
        ttlMs: 60_000,
        cacheScope: 'public',
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'nest-mcp-oauth', version: '0.1.0' } },
      },
    });
  });

  it('with a token lacking every scope: discovery needs none, and the tool call is what gets the 403', async () => {
    const token = await embedded.token('dev_erin', []);
    const answer = await send(embedded.server.mcpUrl, probe(), bearer(token));
    expect(answer.status).toBe(200);
    expect(answer.json?.result?.supportedVersions).toEqual([MODERN_VERSION]);
    const call = await send(
      embedded.server.mcpUrl,
      rpc('modern', 'tools/call', { name: 'whoami', arguments: {} }),
      bearer(token),
    );
    expect(call.status).toBe(200);
    const email = await send(
      embedded.server.mcpUrl,
      rpc('modern', 'tools/call', { name: 'get_email', arguments: {} }),
      bearer(token),
    );
    expect(email.status).toBe(403);
    expect(email.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});

describe('mixed mode through the SDK 2.x client, in both eras', () => {
  const embedded = new EmbeddedServer();
  beforeAll(async () => {
    await embedded.start({ MCP_AUTH_MODE: 'mixed' });
  });
  afterAll(() => embedded.close());

  for (const mode of [{ pin: MODERN_VERSION }, 'legacy'] as const) {
    const era = mode === 'legacy' ? 'legacy' : 'modern';
    it(`${era}: connects without a token, runs the noauth tool, and gets the sign-in challenge from a protected one`, async () => {
      const client = new ModernSdkClient(CLIENT_INFO, { versionNegotiation: { mode } });
      await client.connect(new ModernSdkTransport(new URL(embedded.server.mcpUrl)));
      try {
        expect(client.getProtocolEra()).toBe(era);
        expect(structured(await client.callTool({ name: 'server_status', arguments: {} }))).toMatchObject({
          signedIn: false,
        });
        const result = await client.callTool({ name: 'get_email', arguments: {} });
        expect(result.isError).toBe(true);
        expect(result._meta?.['mcp/www_authenticate']).toEqual([
          `Bearer resource_metadata="${embedded.server.baseUrl}/.well-known/oauth-protected-resource/mcp", scope="profile email", error="insufficient_scope", error_description="Sign in to use get_email."`,
        ]);
      } finally {
        await client.close();
      }
    });
  }
});
