import { describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { useClerkApp } from '../support/test-app.js';

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return client;
}

const structured = (result: unknown): Record<string, unknown> =>
  (result as { structuredContent: Record<string, unknown> }).structuredContent;

describe('the MCP SDK client against the server', () => {
  const fixture = useClerkApp();

  for (const kind of ['jwt', 'opaque'] as const) {
    it(`lists and calls every tool with a ${kind} token`, async () => {
      const scopes = ['profile', 'email'];
      const token =
        kind === 'jwt'
          ? await fixture.clerk.mintJwt({ scopes, clientId: 'client_chatgpt', aud: fixture.server.mcpUrl })
          : fixture.clerk.mintOpaqueToken({ scopes, clientId: 'client_chatgpt' });
      const client = await connect(fixture.server.mcpUrl, token);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name).sort()).toEqual(['get_email', 'get_profile', 'server_status', 'whoami']);
        for (const tool of tools) expect(tool.inputSchema.type).toBe('object');
        expect(tools.find((tool) => tool.name === 'get_email')?._meta?.securitySchemes).toEqual([
          { type: 'oauth2', scopes: ['email'] },
        ]);

        const whoami = structured(await client.callTool({ name: 'whoami', arguments: {} }));
        expect(whoami).toMatchObject({
          userId: fixture.clerk.defaultUser.id,
          clientId: 'client_chatgpt',
          scopes,
          tokenKind: kind,
        });
        expect(typeof whoami.expiresAt).toBe('string');
        expect(Date.parse(whoami.expiresAt as string)).toBeGreaterThan(Date.now());

        const profile = structured(await client.callTool({ name: 'get_profile', arguments: {} }));
        expect(profile).toEqual({
          userId: fixture.clerk.defaultUser.id,
          name: `${fixture.clerk.defaultUser.firstName} ${fixture.clerk.defaultUser.lastName}`,
          firstName: fixture.clerk.defaultUser.firstName,
          lastName: fixture.clerk.defaultUser.lastName,
          username: fixture.clerk.defaultUser.username,
          imageUrl: fixture.clerk.defaultUser.imageUrl,
        });

        const email = structured(await client.callTool({ name: 'get_email', arguments: {} }));
        const primary = fixture.clerk.defaultUser.emailAddresses.find(
          (address) => address.id === fixture.clerk.defaultUser.primaryEmailAddressId,
        );
        expect(email).toEqual({
          userId: fixture.clerk.defaultUser.id,
          email: primary?.emailAddress,
          verified: primary?.verified,
        });
      } finally {
        await client.close();
      }
    });
  }

  it('runs tools as the user the token names', async () => {
    fixture.clerk.addUser({
      id: 'user_bob',
      firstName: 'Bob',
      lastName: null,
      username: null,
      imageUrl: 'https://img.example.com/bob.png',
      emailAddresses: [{ id: 'idn_bob', emailAddress: 'bob@example.com', verified: false }],
      primaryEmailAddressId: 'idn_bob',
    });
    const client = await connect(
      fixture.server.mcpUrl,
      await fixture.clerk.mintJwt({ sub: 'user_bob', scopes: ['email'] }),
    );
    try {
      expect(structured(await client.callTool({ name: 'get_email', arguments: {} }))).toEqual({
        userId: 'user_bob',
        email: 'bob@example.com',
        verified: false,
      });
    } finally {
      await client.close();
    }
  });

  it('verifies an opaque token with Clerk once across many calls', async () => {
    const token = fixture.clerk.mintOpaqueToken({ scopes: ['profile', 'email'] });
    fixture.clerk.resetHits();
    const client = await connect(fixture.server.mcpUrl, token);
    try {
      await Promise.all(Array.from({ length: 10 }, () => client.callTool({ name: 'whoami', arguments: {} })));
      for (let i = 0; i < 10; i++) await client.callTool({ name: 'whoami', arguments: {} });
    } finally {
      await client.close();
    }
    expect(fixture.clerk.hits('verify')).toBe(1);
  });

  it('reports invalid arguments and unknown tools as errors, not crashes', async () => {
    const client = await connect(fixture.server.mcpUrl, await fixture.clerk.mintJwt());
    try {
      const invalid = await client.callTool({ name: 'whoami', arguments: { unexpected: true } });
      expect(invalid.isError).toBe(true);
      await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
    } finally {
      await client.close();
    }
  });

  it('returns a tool error, not a 500, when Clerk cannot give the profile', async () => {
    const client = await connect(fixture.server.mcpUrl, await fixture.clerk.mintJwt({ scopes: ['profile'] }));
    try {
      fixture.clerk.setFault('error500', { scope: 'bapi' });
      const result = await client.callTool({ name: 'get_profile', arguments: {} });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('unavailable');
    } finally {
      fixture.clerk.setFault(null);
      await client.close();
    }
  });
});

describe('stateful mode', () => {
  const fixture = useClerkApp({ MCP_SESSION_MODE: 'stateful' });

  it('keeps a session across requests and ends it on DELETE', async () => {
    const token = await fixture.clerk.mintJwt();
    const transport = new StreamableHTTPClientTransport(new URL(fixture.server.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).userId).toBe(
      fixture.clerk.defaultUser.id,
    );
    const sessionId = transport.sessionId as string;
    await transport.terminateSession();
    await client.close();
    const after = await fetch(fixture.server.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
    });
    expect(after.status).toBe(404);
  });

  it("does not let another user use someone's session", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(fixture.server.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${await fixture.clerk.mintJwt()}` } },
    });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
    try {
      const intruder = await fetch(fixture.server.mcpUrl, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${await fixture.clerk.mintJwt({ sub: 'user_mallory' })}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Mcp-Session-Id': transport.sessionId as string,
          'MCP-Protocol-Version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
      });
      expect(intruder.status).toBe(404);
    } finally {
      await client.close();
    }
  });
});
