import { getConfigToken } from '@nestjs/config';
import { ConfigurationError, type AuthProvider, type Environment } from './environment.js';
import { parseTrustedProxies } from './trusted-proxies.js';

/**
 * A configuration namespace: the typed slice of the validated environment one group of consumers
 * needs. A consumer injects only its slice, `@Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>`;
 * {@link ConfigModule} registers every slice with `registerAs` under the same key. The build runs
 * once per application, after the one validation of {@link Environment}.
 */
export type ConfigNamespace<Name extends string, Slice> = ((env: Environment) => Slice) & {
  readonly namespace: Name;
  readonly KEY: string;
};

function namespace<Name extends string, Slice>(
  name: Name,
  build: (env: Environment) => Slice,
): ConfigNamespace<Name, Slice> {
  return Object.assign(build, { namespace: name, KEY: getConfigToken(name) });
}

/** What every slice derives its URLs from. */
const publicBaseUrlOf = (env: Environment): string =>
  (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).toLowerCase();
const isDevelopment = (env: Environment): boolean => env.NODE_ENV !== 'production';

/** Where ChatGPT's connectors and apps call from. */
const CHATGPT_ORIGINS = ['https://chatgpt.com', 'https://chat.openai.com'];
/** Development only: local browser tools such as the MCP Inspector, on any port. */
const LOOPBACK_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];
const LOOPBACK_HOSTS = ['localhost:*', '127.0.0.1:*'];

/** Who this server is and where it answers: its public URLs, the resource it protects, its listening address. */
export const serverConfig = namespace('server', (env) => {
  const publicBaseUrl = publicBaseUrlOf(env);
  const loopbackHost = ['0.0.0.0', '::', ''].includes(env.HOST)
    ? '127.0.0.1'
    : env.HOST.includes(':')
      ? `[${env.HOST}]`
      : env.HOST;
  /** Where this process reaches itself. */
  const internalBaseUrl = `http://${loopbackHost}:${env.PORT}`;
  return {
    nodeEnv: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    publicBaseUrl,
    internalBaseUrl,
    mcpPath: env.MCP_PATH,
    /** The canonical resource identifier (RFC 8707 / RFC 9728): exactly `PUBLIC_BASE_URL + MCP_PATH`. */
    resourceUrl: `${publicBaseUrl}${env.MCP_PATH}`,
    /** The path-suffixed protected-resource metadata URL, the one the 401 challenge names. */
    resourceMetadataUrl: `${publicBaseUrl}/.well-known/oauth-protected-resource${env.MCP_PATH}`,
    resourceName: env.RESOURCE_NAME,
    resourceDocumentationUrl: env.RESOURCE_DOCUMENTATION_URL ?? `${publicBaseUrl}/`,
    /**
     * One of our own public URLs as this process reaches it over loopback, rather than through
     * whatever proxy serves the public URL; any other URL unchanged.
     */
    overLoopback: (url: string): string =>
      url.startsWith(`${publicBaseUrl}/`) ? `${internalBaseUrl}${url.slice(publicBaseUrl.length)}` : url,
  };
});

/** The HTTP server's own limits and trust. */
export const httpConfig = namespace('http', (env) => {
  const trustedProxies = Object.freeze<string[]>(parseTrustedProxies(env.TRUSTED_PROXIES));
  return {
    /** Express `trust proxy` entries; X-Forwarded-* from anyone else is ignored. Never changes what we advertise. */
    trustedProxies,
    /** Whether any proxy is trusted, and so whether a client's address and host are read from X-Forwarded-*. */
    behindProxies: trustedProxies.length > 0,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    /** Time a client has to send a whole request; answers, streams included, are not bounded by it. */
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
  };
});

/** How the MCP endpoint behaves: scopes, sessions, who may call it, what anonymous callers see. */
export const mcpConfig = namespace('mcp', (env) => {
  const publicBaseUrl = publicBaseUrlOf(env);
  const development = isDevelopment(env);
  const allowedOrigins: readonly string[] | '*' =
    env.ALLOWED_ORIGINS === '*'
      ? '*'
      : env.ALLOWED_ORIGINS
        ? env.ALLOWED_ORIGINS.toLowerCase().split(',')
        : [publicBaseUrl, ...CHATGPT_ORIGINS, ...(development ? LOOPBACK_ORIGINS : [])];
  const allowedHosts: readonly string[] | '*' =
    env.ALLOWED_HOSTS === '*'
      ? '*'
      : [
          new URL(publicBaseUrl).host,
          ...(env.ALLOWED_HOSTS ? env.ALLOWED_HOSTS.toLowerCase().split(',') : []),
          ...(development ? LOOPBACK_HOSTS : []),
        ];
  return {
    scopes: Object.freeze<string[]>([...new Set(env.MCP_SCOPES.split(' '))]),
    sessionMode: env.MCP_SESSION_MODE,
    sessionIdleMs: env.MCP_SESSION_IDLE_SECONDS * 1000,
    authMode: env.MCP_AUTH_MODE,
    hideUnauthorizedTools: env.MCP_HIDE_UNAUTHORIZED_TOOLS === 'true',
    /** The ttlMs that 2026-07-28 tools/list and server/discover results carry. */
    listTtlMs: env.MCP_LIST_TTL_SECONDS * 1000,
    /** For each scope, the narrower scopes it implies (transitively closed). */
    scopeImplications: parseScopeImplications(env.MCP_SCOPE_IMPLICATIONS),
    /** Browser origins allowed on /mcp; '*' allows any. */
    allowedOrigins,
    /** Host header values /mcp answers to; '*' allows any. */
    allowedHosts,
  };
});

/** Which authorization server signs users in, and how its tokens are judged. */
export const authConfig = namespace('auth', (env) => {
  const provider = providerOf(env);
  return {
    /** Read only where the provider's module is selected (providers/auth-provider.module.ts). */
    provider,
    /** The authorization server's issuer identifier, exactly as tokens and its metadata carry it. */
    issuer:
      provider === 'clerk'
        ? clerkSettings(env).frontendApiUrl
        : provider === 'oidc'
          ? (env.OIDC_ISSUER_URL as string)
          : publicBaseUrlOf(env),
    audienceMode: env.AUTH_AUDIENCE_MODE,
    /** Audience values accepted besides the resource URL. */
    extraAudiences: env.AUTH_EXTRA_AUDIENCES ? env.AUTH_EXTRA_AUDIENCES.split(',') : [],
    clockSkewSeconds: env.AUTH_CLOCK_SKEW_SECONDS,
    asMetadataCacheMs: env.AS_METADATA_CACHE_SECONDS * 1000,
    jwksCacheMs: env.JWKS_CACHE_SECONDS * 1000,
    jwksRefreshCooldownMs: env.JWKS_REFRESH_COOLDOWN_SECONDS * 1000,
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    upstreamRetryAfterSeconds: env.UPSTREAM_RETRY_AFTER_SECONDS,
  };
});

/** Clerk's keys and APIs; undefined unless Clerk is the authorization server. */
export const clerkConfig = namespace('clerk', (env) => (providerOf(env) === 'clerk' ? clerkSettings(env) : undefined));

/** Default: clerk when Clerk keys are set, oidc when OIDC_ISSUER_URL is, embedded otherwise. */
const providerOf = (env: Environment): AuthProvider =>
  env.AUTH_PROVIDER ??
  (env.CLERK_SECRET_KEY || env.CLERK_PUBLISHABLE_KEY ? 'clerk' : env.OIDC_ISSUER_URL ? 'oidc' : 'embedded');

export interface ClerkSettings {
  secretKey: string;
  publishableKey: string;
  /** The Frontend API origin: Clerk's OAuth issuer and the home of its discovery documents and JWKS. */
  frontendApiUrl: string;
  /** The Backend API origin that `@clerk/backend` calls. */
  apiUrl: string;
  opaqueTokenCacheMs: number;
  opaqueTokenCacheSize: number;
}

function clerkSettings(env: Environment): ClerkSettings {
  const secretKey = env.CLERK_SECRET_KEY;
  const publishableKey = env.CLERK_PUBLISHABLE_KEY;
  if (!secretKey || !publishableKey)
    throw new ConfigurationError([
      "CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY must both be set for AUTH_PROVIDER=clerk (the dashboard's API keys page shows both)",
    ]);
  return {
    secretKey,
    publishableKey,
    frontendApiUrl: clerkFrontendApiUrl(env, publishableKey),
    apiUrl: env.CLERK_API_URL,
    opaqueTokenCacheMs: env.OPAQUE_TOKEN_CACHE_SECONDS * 1000,
    opaqueTokenCacheSize: env.OPAQUE_TOKEN_CACHE_SIZE,
  };
}

/** Any standards issuer. */
export const oidcConfig = namespace('oidc', (env) => ({
  /** JWS algorithms accepted on access tokens. */
  algorithms: env.OIDC_ALGORITHMS.split(','),
}));

/** The embedded development authorization server. */
export const embeddedConfig = namespace('embedded', (env) => ({
  /** Where it keeps its keys and registrations between restarts. */
  stateFile: env.EMBEDDED_AUTH_STATE_FILE,
}));

/** Logs, shutdown, readiness and rate limits: what an operator tunes. */
export const operationsConfig = namespace('operations', (env) => ({
  nodeEnv: env.NODE_ENV,
  logLevel: env.LOG_LEVEL,
  logFormat: env.LOG_FORMAT,
  /** How long in-flight requests may run after SIGTERM before their connections are cut. */
  shutdownGraceMs: env.SHUTDOWN_GRACE_SECONDS * 1000,
  /** How long the upstream part of readiness is reused, so probes every few seconds stay cheap. */
  readinessCacheMs: env.READINESS_CACHE_SECONDS * 1000,
  /** Requests per window on the MCP endpoint; 0 turns that limit off. */
  rateLimit: {
    windowMs: env.RATE_LIMIT_WINDOW_SECONDS * 1000,
    perAddress: env.RATE_LIMIT_PER_IP,
    perUser: env.RATE_LIMIT_PER_USER,
  },
}));

/** Every namespace, in the order they are built. */
export const CONFIG_NAMESPACES = [
  serverConfig,
  httpConfig,
  mcpConfig,
  authConfig,
  clerkConfig,
  oidcConfig,
  embeddedConfig,
  operationsConfig,
] as const;

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
  const encoded = publishableKey
    .replace(/^pk_(test|live)_/, '')
    .replace(/-/g, '+')
    .replace(/_/g, '/');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  if (!decoded.endsWith('$') || decoded.indexOf('$') !== decoded.length - 1) return undefined;
  const host = decoded.slice(0, -1);
  return /^[A-Za-z0-9.-]+(:\d+)?$/.test(host) && host.includes('.') ? host : undefined;
}

/** CLERK_FRONTEND_API_URL, or the host the publishable key encodes. */
function clerkFrontendApiUrl(env: Environment, publishableKey: string): string {
  if (env.CLERK_FRONTEND_API_URL) return env.CLERK_FRONTEND_API_URL.toLowerCase();
  const host = frontendApiHostFromPublishableKey(publishableKey);
  if (!host)
    throw new ConfigurationError([
      'CLERK_PUBLISHABLE_KEY does not decode to a Frontend API host: copy it again from the Clerk dashboard, or set CLERK_FRONTEND_API_URL',
    ]);
  return `https://${host}`;
}
