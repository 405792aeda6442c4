import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { ConfigType } from '@nestjs/config';
import { authConfig, embeddedConfig, mcpConfig, serverConfig } from '../../config/namespaces.js';
import { ProviderRoutes } from '../provider-seam.js';
import { findDevelopmentAccount } from './development-accounts.js';
import { EmbeddedStateFile } from './embedded-state-file.js';
import { FileAdapter } from './file-adapter.js';

/** Where the embedded server's own endpoints live on our host; the sign-in pages sit below it. */
export const EMBEDDED_ROUTE_PREFIX = '/oauth';
export const INTERACTION_PATH = `${EMBEDDED_ROUTE_PREFIX}/interaction`;

const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 14 * 86400;

/** The embedded server's clock (epoch milliseconds), for what it times itself; tests replace it. */
export const EMBEDDED_AUTH_CLOCK = Symbol('EMBEDDED_AUTH_CLOCK');
export type Clock = () => number;

/** Claims a token may carry, by the scope that releases them (OpenID Connect Core §5.4). */
const CLAIMS_BY_SCOPE: Record<string, string[]> = {
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

/**
 * A development authorization server inside this process, built on oidc-provider: dynamic
 * registration, authorization code with PKCE S256, resource indicators (JWT access tokens whose
 * aud is our MCP resource), refresh tokens, and sign-in and consent pages for made-up users.
 * Its issuer is PUBLIC_BASE_URL; the rest of the application treats it as any OIDC issuer.
 */
@Injectable()
export class EmbeddedAuthorizationServer extends ProviderRoutes implements OnApplicationBootstrap {
  private readonly logger = new Logger(EmbeddedAuthorizationServer.name);
  readonly provider: Provider;
  private readonly handler: (request: IncomingMessage, response: ServerResponse) => void;

  constructor(
    @Inject(embeddedConfig.KEY) private readonly embedded: ConfigType<typeof embeddedConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    @Inject(mcpConfig.KEY) private readonly mcp: ConfigType<typeof mcpConfig>,
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
    @Inject(EMBEDDED_AUTH_CLOCK) private readonly now: Clock,
  ) {
    super();
    const state = new EmbeddedStateFile(resolve(embedded.stateFile));
    this.provider = new Provider(auth.issuer, this.configuration(state));
    // Clients that ask for no scope (the MCP SDK when nothing is advertised) get the baseline instead of a refusal.
    this.provider.use((ctx, next) => {
      if (ctx.path === `${EMBEDDED_ROUTE_PREFIX}/authorize` && ctx.method === 'GET' && !ctx.query.scope)
        ctx.query = { ...ctx.query, scope: this.mcp.scopes.join(' ') };
      return next();
    });
    // Koa's handler settles its own promise (it answers errors itself); Node's request listener returns void.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    this.handler = this.provider.callback();
  }

  onApplicationBootstrap(): void {
    const line = '='.repeat(78);
    this.logger.warn(
      `\n${line}\n  EMBEDDED DEVELOPMENT AUTHORIZATION SERVER at ${this.auth.issuer}\n` +
        '  Anyone can sign in as any user name. For development only: set Clerk keys\n' +
        '  (or AUTH_PROVIDER=oidc) for anything real. Keys and registrations are kept in\n' +
        `  ${this.embedded.stateFile}.\n${line}`,
    );
  }

  handles(path: string): boolean {
    if (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server') return true;
    return path.startsWith(`${EMBEDDED_ROUTE_PREFIX}/`) && !path.startsWith(`${INTERACTION_PATH}/`);
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    this.handler(request, response);
  }

  /**
   * The scopes an access token for our resource carries when the user allows `requestedScope`:
   * only those the resource server knows. OpenID scopes such as offline_access are not among them.
   */
  accessTokenScopes(requestedScope: string): string[] {
    return [...new Set(requestedScope.split(' '))].filter((scope) => this.mcp.scopes.includes(scope));
  }

  get resourceUrl(): string {
    return this.server.resourceUrl;
  }

  private acceptsResource(indicator: string): boolean {
    return indicator === this.server.resourceUrl || indicator === `${this.server.resourceUrl}/`;
  }

  private configuration(state: EmbeddedStateFile): Configuration {
    const scopes = [...this.mcp.scopes];
    return {
      adapter: (model: string) => new FileAdapter(model, state, this.now),
      jwks: { keys: [state.signingKey] },
      cookies: { keys: [state.cookieSecret] },
      routes: {
        authorization: `${EMBEDDED_ROUTE_PREFIX}/authorize`,
        token: `${EMBEDDED_ROUTE_PREFIX}/token`,
        registration: `${EMBEDDED_ROUTE_PREFIX}/register`,
        jwks: `${EMBEDDED_ROUTE_PREFIX}/jwks`,
        revocation: `${EMBEDDED_ROUTE_PREFIX}/revoke`,
        userinfo: `${EMBEDDED_ROUTE_PREFIX}/userinfo`,
        end_session: `${EMBEDDED_ROUTE_PREFIX}/logout`,
        introspection: `${EMBEDDED_ROUTE_PREFIX}/introspect`,
        pushed_authorization_request: `${EMBEDDED_ROUTE_PREFIX}/par`,
        code_verification: `${EMBEDDED_ROUTE_PREFIX}/device`,
        device_authorization: `${EMBEDDED_ROUTE_PREFIX}/device/auth`,
        backchannel_authentication: `${EMBEDDED_ROUTE_PREFIX}/backchannel`,
        challenge: `${EMBEDDED_ROUTE_PREFIX}/challenge`,
      },
      scopes: ['openid', 'offline_access', ...scopes],
      claims: { openid: ['sub'], ...CLAIMS_BY_SCOPE },
      findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => findDevelopmentAccount(sub),
      // OAuth 2.1 has no implicit flow: only code (with PKCE) is advertised, registered and accepted.
      responseTypes: ['code'],
      pkce: { required: () => true },
      clientBasedCORS: () => true,
      interactions: { url: async (_ctx: KoaContextWithOIDC, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
      features: {
        devInteractions: { enabled: false },
        registration: { enabled: true },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => this.server.resourceUrl,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx: KoaContextWithOIDC, indicator: string) => {
            if (!this.acceptsResource(indicator))
              throw new errors.InvalidTarget(`this server issues tokens only for ${this.server.resourceUrl}`);
            return {
              scope: scopes.join(' '),
              audience: indicator,
              accessTokenTTL: ACCESS_TOKEN_SECONDS,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'RS256' } },
            };
          },
        },
      },
      // Profile claims ride in the access token, so tools can show them without a second call.
      extraTokenClaims: async (_ctx: KoaContextWithOIDC, token) => {
        if (!('accountId' in token) || typeof token.accountId !== 'string' || !('scope' in token)) return undefined;
        const account = findDevelopmentAccount(token.accountId);
        if (!account) return undefined;
        const claims = await account.claims('id_token', '', {}, []);
        const granted = new Set(String(token.scope ?? '').split(' '));
        const released = Object.entries(CLAIMS_BY_SCOPE).flatMap(([scope, names]) => (granted.has(scope) ? names : []));
        return Object.fromEntries(
          released.filter((name) => claims[name] !== undefined).map((name) => [name, claims[name]]),
        );
      },
      // MCP clients do not ask for offline_access (servers must not advertise it), yet need to refresh.
      issueRefreshToken: async (_ctx: KoaContextWithOIDC, client) => client.grantTypeAllowed('refresh_token'),
      ttl: {
        AccessToken: ACCESS_TOKEN_SECONDS,
        AuthorizationCode: 600,
        Interaction: 3600,
        Session: 14 * 86400,
        Grant: 14 * 86400,
        IdToken: 3600,
        RefreshToken: REFRESH_TOKEN_SECONDS,
      },
      renderError: async (ctx: KoaContextWithOIDC, out) => {
        ctx.type = 'json';
        ctx.body = out;
      },
    };
  }
}
