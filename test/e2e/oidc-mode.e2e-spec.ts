import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OidcTestIssuer } from '../support/oidc-test-issuer.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const LIST_TOOLS = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

describe('AUTH_PROVIDER=oidc against an independent issuer with a path', () => {
  let issuer: OidcTestIssuer;
  let otherIssuer: OidcTestIssuer;
  let server: TestApp;

  beforeAll(async () => {
    issuer = await OidcTestIssuer.start({
      tokenClaims: { email: 'svc@example.com', email_verified: true, name: 'Service Account' },
    });
    otherIssuer = await OidcTestIssuer.start();
    server = await startTestApp(null, { AUTH_PROVIDER: 'oidc', OIDC_ISSUER_URL: issuer.issuer });
  });
  afterAll(async () => {
    await server.close();
    await issuer.close();
    await otherIssuer.close();
  });

  const post = (token: string): Promise<Response> =>
    fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: LIST_TOOLS,
    });

  it('names the issuer in the protected-resource metadata', async () => {
    const metadata = (await (await fetch(`${server.baseUrl}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      authorization_servers: string[];
    };
    expect(metadata.authorization_servers).toEqual([issuer.issuer]);
  });

  it('finds the metadata after trying the locations the MCP specification gives first, and serves it unchanged', async () => {
    const response = await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    const direct = await (await fetch(`${issuer.issuer}/.well-known/openid-configuration`)).json();
    expect(document).toEqual(direct);
    expect(document.issuer).toBe(issuer.issuer);
    const inserted = issuer.requests.indexOf('/.well-known/oauth-authorization-server/realms/acme');
    expect(inserted).toBeGreaterThanOrEqual(0);
    expect(issuer.requests.indexOf('/realms/acme/.well-known/openid-configuration')).toBeGreaterThan(inserted);
  });

  it('verifies the issuer’s JWT access tokens against its jwks_uri and runs tools', async () => {
    const token = await issuer.mintToken(server.mcpUrl);
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const whoami = (await client.callTool({ name: 'whoami', arguments: {} })) as {
        structuredContent: Record<string, unknown>;
      };
      expect(whoami.structuredContent).toMatchObject({
        userId: 'ci-client',
        clientId: 'ci-client',
        scopes: ['profile', 'email'],
      });
      const email = (await client.callTool({ name: 'get_email', arguments: {} })) as {
        structuredContent: Record<string, unknown>;
      };
      expect(email.structuredContent).toEqual({ userId: 'ci-client', email: 'svc@example.com', verified: true });
    } finally {
      await client.close();
    }
  });

  it('refuses a token for another resource', async () => {
    const response = await post(await issuer.mintToken('https://other.example.com/mcp'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('another resource');
  });

  it('refuses a token from another issuer', async () => {
    const response = await post(await otherIssuer.mintToken(server.mcpUrl));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses metadata whose issuer is not the configured one, and then cannot verify tokens', async () => {
    const mismatched = await startTestApp(null, { AUTH_PROVIDER: 'oidc', OIDC_ISSUER_URL: `${issuer.issuer}/` });
    try {
      const metadata = await fetch(`${mismatched.baseUrl}/.well-known/oauth-authorization-server`);
      expect(metadata.status).toBe(502);
      expect(((await metadata.json()) as { error_description: string }).error_description).toContain(
        'is not the configured issuer',
      );
      const call = await fetch(mismatched.mcpUrl, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${await issuer.mintToken(mismatched.mcpUrl)}`,
          'Content-Type': 'application/json',
        },
        body: LIST_TOOLS,
      });
      expect(call.status).toBe(503);
    } finally {
      await mismatched.close();
    }
  });
});
