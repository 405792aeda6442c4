// The SDK's own stateless example (typescript-sdk v1.x, simpleStatelessStreamableHttp): Express
// from createMcpExpressApp, a fresh McpServer and StreamableHTTPServerTransport per POST, behind the
// SDK's requireBearerAuth with a jose verifier of the issuer's JWTs, and the SDK's
// mcpAuthMetadataRouter for discovery. What a user who wires the SDK by hand gets. One change: the
// shipped example answers in event streams, this one in JSON (`enableJsonResponse`), as the product
// answers 2025 clients, so both write the same answer; the event stream costs the example a few
// percent more on this machine, so the comparison is the stricter one for the product.
import { mcpAuthMetadataRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { serveTarget } from './harness.mjs';

await serveTarget(async ({ issuer, resourceUrl }) => {
  const metadata = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const verifier = {
    async verifyAccessToken(token) {
      try {
        const { payload } = await jwtVerify(token, keys, { issuer, audience: resourceUrl, algorithms: ['RS256'] });
        return {
          token,
          clientId: payload.client_id,
          scopes: payload.scope.split(' '),
          expiresAt: payload.exp,
          extra: { sub: payload.sub },
        };
      } catch {
        throw new InvalidTokenError('Invalid access token');
      }
    },
  };
  const server = () => {
    const mcp = new McpServer({ name: 'sdk-example', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'Who the caller is' }, (extra) => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({ userId: extra.authInfo?.extra?.sub, clientId: extra.authInfo?.clientId }),
        },
      ],
    }));
    return mcp;
  };

  const app = createMcpExpressApp({ host: '127.0.0.1', allowedHosts: ['localhost', '127.0.0.1'] });
  const resource = new URL(resourceUrl);
  app.use(
    mcpAuthMetadataRouter({
      oauthMetadata: metadata,
      resourceServerUrl: resource,
      scopesSupported: ['profile', 'email'],
    }),
  );
  const resourceMetadataUrl = `${resource.origin}/.well-known/oauth-protected-resource${resource.pathname}`;
  app.post('/mcp', requireBearerAuth({ verifier, resourceMetadataUrl }), async (request, response) => {
    const mcp = server();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(request, response, request.body);
  });
  const http = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve(listening)));
  });
  http.keepAliveTimeout = 65_000;
  return {
    port: http.address().port,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
});
