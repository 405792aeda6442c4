import {
  ConfigurationError,
  type AuthProvider,
  validateEnvironment,
  type AudienceMode,
  type AuthMode,
  type Environment,
  type LogLevel,
  type NodeEnvironment,
  type RawEnvironment,
  type SessionMode,
} from './environment.js';
import { parseTrustedProxies } from './trusted-proxies.js';

export interface ClerkConfig {
  secretKey: string;
  publishableKey: string;
  /** The Frontend API origin: Clerk's OAuth issuer and the home of its discovery documents and JWKS. */
  frontendApiUrl: string;
  /** The Backend API origin that `@clerk/backend` calls. */
  apiUrl: string;
}

export interface OidcConfig {
  /** JWS algorithms accepted on access tokens. */
  algorithms: string[];
}

export interface EmbeddedAuthConfig {
  /** Where the development authorization server keeps its keys and registrations between restarts. */
  stateFile: string;
}

/** Validated, typed configuration. Built once at boot from the environment; injected everywhere else. */
export class AppConfig {
  readonly nodeEnv: NodeEnvironment;
  readonly host: string;
  readonly port: number;
  readonly publicBaseUrl: string;
  readonly mcpPath: string;
  /** The canonical resource identifier (RFC 8707 / RFC 9728): exactly `PUBLIC_BASE_URL + MCP_PATH`. */
  readonly resourceUrl: string;
  /** The path-suffixed protected-resource metadata URL, the one the 401 challenge names. */
  readonly resourceMetadataUrl: string;
  readonly scopes: readonly string[];
  readonly sessionMode: SessionMode;
  readonly sessionIdleMs: number;
  readonly authMode: AuthMode;
  readonly hideUnauthorizedTools: boolean;
  /** The ttlMs that 2026-07-28 tools/list and server/discover results carry. */
  readonly listTtlMs: number;
  /** For each scope, the narrower scopes it implies (transitively closed). */
  readonly scopeImplications: ReadonlyMap<string, ReadonlySet<string>>;
  /** Browser origins allowed on /mcp; '*' allows any. */
  readonly allowedOrigins: readonly string[] | '*';
  /** Host header values /mcp answers to; '*' allows any. */
  readonly allowedHosts: readonly string[] | '*';
  readonly resourceName: string;
  readonly resourceDocumentationUrl: string;
  readonly authProvider: AuthProvider;
  /** Set only when authProvider is clerk. */
  readonly clerk?: ClerkConfig;
  readonly oidc: OidcConfig;
  readonly embedded: EmbeddedAuthConfig;
  /** The authorization server's issuer identifier, exactly as tokens and its metadata carry it. */
  readonly issuer: string;
  /** Where this process reaches itself, for the embedded issuer's own documents and keys. */
  readonly internalBaseUrl: string;
  readonly audienceMode: AudienceMode;
  /** Audience values accepted besides the resource URL. */
  readonly extraAudiences: readonly string[];
  readonly clockSkewSeconds: number;
  readonly asMetadataCacheMs: number;
  readonly jwksCacheMs: number;
  readonly jwksRefreshCooldownMs: number;
  readonly opaqueTokenCacheMs: number;
  readonly opaqueTokenCacheSize: number;
  readonly upstreamTimeoutMs: number;
  readonly upstreamRetryAfterSeconds: number;
  readonly logLevel: LogLevel;
  // --- Operations ---
  readonly logFormat: Environment['LOG_FORMAT'];
  /** Express `trust proxy` entries; X-Forwarded-* from anyone else is ignored. Never changes what we advertise. */
  readonly trustedProxies: readonly string[];
  /** How long in-flight requests may run after SIGTERM before their connections are cut. */
  readonly shutdownGraceMs: number;
  /** How long the upstream part of readiness is reused, so probes every few seconds stay cheap. */
  readonly readinessCacheMs: number;
  /** Requests per window on the MCP endpoint; 0 turns that limit off. */
  readonly rateLimit: { windowMs: number; perAddress: number; perUser: number };
  readonly bodyLimitBytes: number;
  /** Time a client has to send a whole request; answers, streams included, are not bounded by it. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;

  constructor(env: Environment) {
    this.nodeEnv = env.NODE_ENV;
    this.host = env.HOST;
    this.port = env.PORT;
    this.publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).toLowerCase();
    this.mcpPath = env.MCP_PATH;
    this.resourceUrl = `${this.publicBaseUrl}${this.mcpPath}`;
    this.resourceMetadataUrl = `${this.publicBaseUrl}/.well-known/oauth-protected-resource${this.mcpPath}`;
    this.scopes = Object.freeze([...new Set(env.MCP_SCOPES.split(' '))]);
    this.sessionMode = env.MCP_SESSION_MODE;
    this.sessionIdleMs = env.MCP_SESSION_IDLE_SECONDS * 1000;
    this.authMode = env.MCP_AUTH_MODE;
    this.hideUnauthorizedTools = env.MCP_HIDE_UNAUTHORIZED_TOOLS === 'true';
    this.listTtlMs = env.MCP_LIST_TTL_SECONDS * 1000;
    this.scopeImplications = parseScopeImplications(env.MCP_SCOPE_IMPLICATIONS);
    const publicHost = new URL(this.publicBaseUrl).host;
    const development = env.NODE_ENV !== 'production';
    this.allowedOrigins =
      env.ALLOWED_ORIGINS === '*'
        ? '*'
        : env.ALLOWED_ORIGINS
          ? env.ALLOWED_ORIGINS.toLowerCase().split(',')
          : [this.publicBaseUrl, ...CHATGPT_ORIGINS, ...(development ? LOOPBACK_ORIGINS : [])];
    this.allowedHosts =
      env.ALLOWED_HOSTS === '*' ? '*' : [publicHost, ...(env.ALLOWED_HOSTS ? env.ALLOWED_HOSTS.toLowerCase().split(',') : []), ...(development ? LOOPBACK_HOSTS : [])];
    this.resourceName = env.RESOURCE_NAME;
    this.resourceDocumentationUrl = env.RESOURCE_DOCUMENTATION_URL ?? `${this.publicBaseUrl}/`;
    this.authProvider = env.AUTH_PROVIDER ?? (env.CLERK_SECRET_KEY || env.CLERK_PUBLISHABLE_KEY ? 'clerk' : env.OIDC_ISSUER_URL ? 'oidc' : 'embedded');
    this.clerk = this.authProvider === 'clerk' ? clerkConfig(env) : undefined;
    this.oidc = { algorithms: env.OIDC_ALGORITHMS.split(',') };
    this.embedded = { stateFile: env.EMBEDDED_AUTH_STATE_FILE };
    this.issuer = this.clerk?.frontendApiUrl ?? (this.authProvider === 'oidc' ? (env.OIDC_ISSUER_URL as string) : this.publicBaseUrl);
    const loopbackHost = ['0.0.0.0', '::', ''].includes(env.HOST) ? '127.0.0.1' : env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
    this.internalBaseUrl = `http://${loopbackHost}:${env.PORT}`;
    this.audienceMode = env.AUTH_AUDIENCE_MODE;
    this.extraAudiences = env.AUTH_EXTRA_AUDIENCES ? env.AUTH_EXTRA_AUDIENCES.split(',') : [];
    this.clockSkewSeconds = env.AUTH_CLOCK_SKEW_SECONDS;
    this.asMetadataCacheMs = env.AS_METADATA_CACHE_SECONDS * 1000;
    this.jwksCacheMs = env.JWKS_CACHE_SECONDS * 1000;
    this.jwksRefreshCooldownMs = env.JWKS_REFRESH_COOLDOWN_SECONDS * 1000;
    this.opaqueTokenCacheMs = env.OPAQUE_TOKEN_CACHE_SECONDS * 1000;
    this.opaqueTokenCacheSize = env.OPAQUE_TOKEN_CACHE_SIZE;
    this.upstreamTimeoutMs = env.UPSTREAM_TIMEOUT_MS;
    this.upstreamRetryAfterSeconds = env.UPSTREAM_RETRY_AFTER_SECONDS;
    this.logLevel = env.LOG_LEVEL;
    // --- Operations ---
    this.logFormat = env.LOG_FORMAT;
    this.trustedProxies = Object.freeze(parseTrustedProxies(env.TRUSTED_PROXIES));
    this.shutdownGraceMs = env.SHUTDOWN_GRACE_SECONDS * 1000;
    this.readinessCacheMs = env.READINESS_CACHE_SECONDS * 1000;
    this.rateLimit = { windowMs: env.RATE_LIMIT_WINDOW_SECONDS * 1000, perAddress: env.RATE_LIMIT_PER_IP, perUser: env.RATE_LIMIT_PER_USER };
    this.bodyLimitBytes = env.BODY_LIMIT_BYTES;
    this.requestTimeoutMs = env.REQUEST_TIMEOUT_MS;
    this.keepAliveTimeoutMs = env.KEEP_ALIVE_TIMEOUT_MS;
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }

  /**
   * The URL to fetch for one of the issuer's URLs. The embedded issuer is this process, so its
   * documents are read over loopback rather than through whatever proxy serves the public URL.
   */
  issuerFetchUrl(url: string): string {
    if (this.authProvider !== 'embedded' || !url.startsWith(`${this.publicBaseUrl}/`)) return url;
    return `${this.internalBaseUrl}${url.slice(this.publicBaseUrl.length)}`;
  }
}

/** Where ChatGPT's connectors and apps call from. */
const CHATGPT_ORIGINS = ['https://chatgpt.com', 'https://chat.openai.com'];
/** Development only: local browser tools such as the MCP Inspector, on any port. */
const LOOPBACK_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];
const LOOPBACK_HOSTS = ['localhost:*', '127.0.0.1:*'];

function parseScopeImplications(text: string | undefined): ReadonlyMap<string, ReadonlySet<string>> {
  const direct = new Map<string, string[]>();
  for (const entry of text ? text.split(';') : []) {
    const [broad, narrow] = entry.split('=');
    direct.set(broad, [...(direct.get(broad) ?? []), ...narrow.split(' ')]);
  }
  const closed = new Map<string, ReadonlySet<string>>();
  for (const broad of direct.keys()) {
    const implied = new Set<string>();
    const pending = [...(direct.get(broad) ?? [])];
    while (pending.length > 0) {
      const scope = pending.pop() as string;
      if (implied.has(scope) || scope === broad) continue;
      implied.add(scope);
      pending.push(...(direct.get(scope) ?? []));
    }
    closed.set(broad, implied);
  }
  return closed;
}

/** `pk_test_` / `pk_live_` + base64 of `<frontend api host>$` (Clerk's own encoding). */
export function frontendApiHostFromPublishableKey(publishableKey: string): string | undefined {
  const encoded = publishableKey.replace(/^pk_(test|live)_/, '').replace(/-/g, '+').replace(/_/g, '/');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  if (!decoded.endsWith('$') || decoded.indexOf('$') !== decoded.length - 1) return undefined;
  const host = decoded.slice(0, -1);
  return /^[A-Za-z0-9.-]+(:\d+)?$/.test(host) && host.includes('.') ? host : undefined;
}

function clerkConfig(env: Environment): ClerkConfig {
  const secretKey = env.CLERK_SECRET_KEY;
  const publishableKey = env.CLERK_PUBLISHABLE_KEY;
  if (!secretKey || !publishableKey)
    throw new ConfigurationError(['CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY must both be set for AUTH_PROVIDER=clerk (the dashboard\'s API keys page shows both)']);
  let frontendApiUrl = env.CLERK_FRONTEND_API_URL;
  if (!frontendApiUrl) {
    const host = frontendApiHostFromPublishableKey(publishableKey);
    if (!host)
      throw new ConfigurationError([
        'CLERK_PUBLISHABLE_KEY does not decode to a Frontend API host: copy it again from the Clerk dashboard, or set CLERK_FRONTEND_API_URL',
      ]);
    frontendApiUrl = `https://${host}`;
  }
  return { secretKey, publishableKey, frontendApiUrl: frontendApiUrl.toLowerCase(), apiUrl: env.CLERK_API_URL };
}

/** Checks that only make sense across variables, and the production safety rules. */
function checkConsistency(config: AppConfig, env: Environment): void {
  const problems: string[] = [];
  if (config.isProduction) {
    if (!env.PUBLIC_BASE_URL)
      problems.push('PUBLIC_BASE_URL must be set when NODE_ENV=production: the https origin clients use, e.g. https://mcp.example.com');
    else if (!config.publicBaseUrl.startsWith('https://'))
      problems.push('PUBLIC_BASE_URL must use https when NODE_ENV=production (OAuth resource identifiers are https URLs)');
    if (config.authProvider === 'embedded' && env.ALLOW_EMBEDDED_AUTH !== 'true')
      problems.push(
        'AUTH_PROVIDER=embedded is a development sign-in where anyone can be anyone; it is refused when NODE_ENV=production. Set CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY (or AUTH_PROVIDER=oidc with OIDC_ISSUER_URL), or ALLOW_EMBEDDED_AUTH=true for a demo',
      );
    if (config.authProvider === 'clerk' && !config.issuer.startsWith('https://')) problems.push('CLERK_FRONTEND_API_URL must use https when NODE_ENV=production');
    if (config.clerk && !config.clerk.apiUrl.startsWith('https://')) problems.push('CLERK_API_URL must use https when NODE_ENV=production');
    if (config.authProvider === 'oidc' && !config.issuer.startsWith('https://')) problems.push('OIDC_ISSUER_URL must use https when NODE_ENV=production');
    if (config.audienceMode === 'off')
      problems.push('AUTH_AUDIENCE_MODE=off is refused when NODE_ENV=production: use when-present (accepts tokens without aud) or strict');
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
}

/** The one entry point from raw variables to a validated {@link AppConfig}. */
export function loadAppConfig(raw: RawEnvironment): AppConfig {
  const env = validateEnvironment(raw);
  const config = new AppConfig(env);
  checkConsistency(config, env);
  return config;
}
