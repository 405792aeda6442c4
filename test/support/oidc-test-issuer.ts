import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';

const CLIENT = { client_id: 'ci-client', client_secret: 'ci-secret' };

/**
 * An independent standards authorization server for `AUTH_PROVIDER=oidc` tests: oidc-provider
 * mounted under a path (`/realms/acme`), issuing JWT access tokens by client credentials for
 * any resource. It records the paths it is asked for, to check the discovery order.
 */
export class OidcTestIssuer {
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(
    options: { scopes?: string[]; tokenClaims?: Record<string, unknown>; registration?: boolean } = {},
  ): Promise<OidcTestIssuer> {
    const scopes = options.scopes ?? ['profile', 'email'];
    const app = express();
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/acme`;
    const instance = new OidcTestIssuer(server, issuer);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const provider = new Provider(issuer, {
      jwks: {
        keys: [{ ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomUUID(), alg: 'RS256', use: 'sig' }],
      },
      clients: [
        {
          ...CLIENT,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      scopes,
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        registration: { enabled: options.registration ?? false },
        resourceIndicators: {
          enabled: true,
          getResourceServerInfo: async (_ctx, indicator) => ({
            scope: scopes.join(' '),
            audience: indicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      extraTokenClaims: async () => options.tokenClaims,
    });
    app.use((request, _response, next) => {
      instance.requests.push(request.path);
      next();
    });
    app.use('/realms/acme', provider.callback());
    return instance;
  }

  /** A client-credentials access token for `resource`. */
  async mintToken(resource: string, scope = 'profile email'): Promise<string> {
    const response = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...CLIENT, resource, scope }).toString(),
    });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
