import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { TrustedProxyList } from './trusted-proxies.js';

export const AUDIENCE_MODES = ['strict', 'when-present', 'off'] as const;
export type AudienceMode = (typeof AUDIENCE_MODES)[number];

export const AUTH_PROVIDERS = ['clerk', 'oidc', 'embedded'] as const;
export type AuthProvider = (typeof AUTH_PROVIDERS)[number];

export const SESSION_MODES = ['stateless', 'stateful'] as const;
export type SessionMode = (typeof SESSION_MODES)[number];

export const AUTH_MODES = ['required', 'mixed'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const NODE_ENVIRONMENTS = ['development', 'production', 'test'] as const;
export type NodeEnvironment = (typeof NODE_ENVIRONMENTS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables as they arrive: strings, possibly absent. */
export type RawEnvironment = Record<string, string | undefined>;

const toInteger = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
};

/** An optional whole number within bounds; the message states the range and unit. */
function IntegerBetween(min: number, max: number, unit?: string): PropertyDecorator {
  const message = `must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}`;
  const decorators = [
    IsOptional(),
    Transform(toInteger),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, String(property)));
}

const HTTP_URL = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;
const ORIGIN = /^https?:\/\/[^\s/?#]+$/;

/**
 * Every variable the server reads, with what it must be. This is the only place that reads the
 * process environment; the rest of the code receives the namespaces built from it (namespaces.ts).
 */
export class Environment {
  @IsOptional()
  @IsIn(NODE_ENVIRONMENTS, { message: `must be one of ${NODE_ENVIRONMENTS.join(', ')}` })
  NODE_ENV: NodeEnvironment = 'development';

  @IntegerBetween(1, 65535)
  PORT: number = 3000;

  @IsOptional()
  @IsString()
  HOST: string = '127.0.0.1';

  @IsOptional()
  @Matches(ORIGIN, {
    message:
      'must be an origin such as https://mcp.example.com (scheme and host, optional port, no path, query or trailing slash)',
  })
  PUBLIC_BASE_URL?: string;

  @IsOptional()
  @Matches(/^(\/[A-Za-z0-9._~-]+)+$/, {
    message: 'must be a path such as /mcp: starting with "/", without a trailing slash, query or spaces',
  })
  MCP_PATH: string = '/mcp';

  @IsOptional()
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, {
    message: 'must be a space-separated list of OAuth scopes such as "profile email"',
  })
  @Matches(/^(?!.*(^| )offline_access( |$)).*$/, {
    message:
      'must not contain offline_access (MCP servers must not advertise it; clients ask for refresh tokens themselves)',
  })
  MCP_SCOPES: string = 'profile email';

  @IsOptional()
  @IsIn(SESSION_MODES, { message: `must be one of ${SESSION_MODES.join(', ')}` })
  MCP_SESSION_MODE: SessionMode = 'stateless';

  @IntegerBetween(60, 86400, 'seconds')
  MCP_SESSION_IDLE_SECONDS: number = 1800;

  /** required: every /mcp request needs a token. mixed: anonymous requests pass; protected tools challenge. */
  @IsOptional()
  @IsIn(AUTH_MODES, { message: `must be one of ${AUTH_MODES.join(', ')}` })
  MCP_AUTH_MODE: AuthMode = 'required';

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  MCP_HIDE_UNAUTHORIZED_TOOLS: string = 'false';

  /** How long 2026-07-28 clients may reuse a tools/list or server/discover result (ttlMs); 0: ask every time. */
  @IntegerBetween(0, 86400, 'seconds')
  MCP_LIST_TTL_SECONDS: number = 60;

  /** `broad=narrow other;...`: a token with the broad scope counts as holding the narrow ones. */
  @IsOptional()
  @Matches(
    /^[\x21\x23-\x3A\x3C\x3E-\x5B\x5D-\x7E]+=[\x21\x23-\x3A\x3C\x3E-\x5B\x5D-\x7E]+( [\x21\x23-\x3A\x3C\x3E-\x5B\x5D-\x7E]+)*(;[\x21\x23-\x3A\x3C\x3E-\x5B\x5D-\x7E]+=[\x21\x23-\x3A\x3C\x3E-\x5B\x5D-\x7E]+( [\x21\x23-\x3A\x3C\x3E-\x5B\x5D-\x7E]+)*)*$/,
    {
      message:
        'must look like "admin=profile email;files:write=files:read": a scope, "=", the scopes it implies, entries separated by ";"',
    },
  )
  MCP_SCOPE_IMPLICATIONS?: string;

  /** Origins allowed to call /mcp from a browser, comma-separated, or * for any. */
  @IsOptional()
  @Matches(/^(\*|https?:\/\/[^\s/?#,]+(,https?:\/\/[^\s/?#,]+)*)$/, {
    message: 'must be * or a comma-separated list of origins such as https://chatgpt.com,https://app.example.com',
  })
  ALLOWED_ORIGINS?: string;

  /** Host names (with optional port) /mcp answers to besides PUBLIC_BASE_URL's, comma-separated, or * for any. */
  @IsOptional()
  @Matches(/^(\*|[A-Za-z0-9.-]+(:\d+)?(,[A-Za-z0-9.-]+(:\d+)?)*)$/, {
    message: 'must be * or a comma-separated list of host names such as mcp.example.com,mcp.internal:8080',
  })
  ALLOWED_HOSTS?: string;

  @IsOptional()
  @IsString()
  RESOURCE_NAME: string = 'nest-mcp-oauth';

  @IsOptional()
  @Matches(HTTP_URL, { message: 'must be an http(s) URL' })
  RESOURCE_DOCUMENTATION_URL?: string;

  /** Default: clerk when Clerk keys are set, oidc when OIDC_ISSUER_URL is, embedded otherwise. */
  @IsOptional()
  @IsIn(AUTH_PROVIDERS, { message: `must be one of ${AUTH_PROVIDERS.join(', ')}` })
  AUTH_PROVIDER?: AuthProvider;

  @ValidateIf((env: Environment) => env.CLERK_SECRET_KEY !== undefined || env.AUTH_PROVIDER === 'clerk')
  @Matches(/^sk_(test|live)_[A-Za-z0-9_-]+$/, {
    message: 'must be the Clerk secret key from the Clerk dashboard (API keys), starting with sk_test_ or sk_live_',
  })
  CLERK_SECRET_KEY?: string;

  @ValidateIf((env: Environment) => env.CLERK_PUBLISHABLE_KEY !== undefined || env.AUTH_PROVIDER === 'clerk')
  @Matches(/^pk_(test|live)_[A-Za-z0-9+/=_-]+$/, {
    message:
      'must be the Clerk publishable key from the Clerk dashboard (API keys), starting with pk_test_ or pk_live_',
  })
  CLERK_PUBLISHABLE_KEY?: string;

  @IsOptional()
  @Matches(ORIGIN, {
    message: 'must be the Clerk Frontend API origin such as https://clerk.example.com (no path or trailing slash)',
  })
  CLERK_FRONTEND_API_URL?: string;

  @IsOptional()
  @Matches(ORIGIN, {
    message: 'must be the Clerk Backend API origin, https://api.clerk.com unless Clerk told you otherwise',
  })
  CLERK_API_URL: string = 'https://api.clerk.com';

  @ValidateIf((env: Environment) => env.OIDC_ISSUER_URL !== undefined || env.AUTH_PROVIDER === 'oidc')
  @Matches(HTTP_URL, {
    message:
      'must be the issuer URL of your authorization server, e.g. https://tenant.auth0.com/ or https://keycloak.example.com/realms/acme',
  })
  OIDC_ISSUER_URL?: string;

  @IsOptional()
  @Matches(/^((RS|PS|ES)(256|384|512)|EdDSA)(,((RS|PS|ES)(256|384|512)|EdDSA))*$/, {
    message:
      'must be a comma-separated list of JWS algorithms such as RS256,ES256 (RS*, PS*, ES*, EdDSA; never none or HS*)',
  })
  OIDC_ALGORITHMS: string = 'RS256';

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  ALLOW_EMBEDDED_AUTH: string = 'false';

  @IsOptional()
  @IsString()
  EMBEDDED_AUTH_STATE_FILE: string = '.data/embedded-auth.json';

  @IsOptional()
  @IsIn(AUDIENCE_MODES, { message: `must be one of ${AUDIENCE_MODES.join(', ')}` })
  AUTH_AUDIENCE_MODE: AudienceMode = 'when-present';

  /** Some authorization servers put their own identifier for the API in aud (Entra's App ID URI). */
  @IsOptional()
  @Matches(/^[^\s,]+(,[^\s,]+)*$/, { message: 'must be a comma-separated list of audience values, without spaces' })
  AUTH_EXTRA_AUDIENCES?: string;

  @IntegerBetween(0, 600, 'seconds')
  AUTH_CLOCK_SKEW_SECONDS: number = 5;

  @IntegerBetween(1, 86400, 'seconds')
  AS_METADATA_CACHE_SECONDS: number = 300;

  @IntegerBetween(60, 86400, 'seconds')
  JWKS_CACHE_SECONDS: number = 600;

  @IntegerBetween(1, 3600, 'seconds')
  JWKS_REFRESH_COOLDOWN_SECONDS: number = 30;

  @IntegerBetween(0, 3600, 'seconds')
  OPAQUE_TOKEN_CACHE_SECONDS: number = 60;

  @IntegerBetween(1, 1_000_000)
  OPAQUE_TOKEN_CACHE_SIZE: number = 10_000;

  @IntegerBetween(100, 60_000, 'milliseconds')
  UPSTREAM_TIMEOUT_MS: number = 5000;

  @IntegerBetween(1, 3600, 'seconds')
  UPSTREAM_RETRY_AFTER_SECONDS: number = 5;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'log';

  // --- Operations ---
  /** auto: human-readable when NODE_ENV=development and stdout is a terminal, JSON lines otherwise. */
  @IsOptional()
  @IsIn(['auto', 'json', 'pretty'], { message: 'must be one of auto, json, pretty' })
  LOG_FORMAT: 'auto' | 'json' | 'pretty' = 'auto';

  /** Proxies whose X-Forwarded-* headers are believed; none by default, so a client cannot claim another address. */
  @IsOptional()
  @TrustedProxyList()
  TRUSTED_PROXIES?: string;

  @IntegerBetween(0, 3600, 'seconds')
  SHUTDOWN_GRACE_SECONDS: number = 25;

  @IntegerBetween(1, 60, 'seconds')
  READINESS_CACHE_SECONDS: number = 5;

  @IntegerBetween(1, 3600, 'seconds')
  RATE_LIMIT_WINDOW_SECONDS: number = 60;

  @IntegerBetween(0, 1_000_000)
  RATE_LIMIT_PER_IP: number = 600;

  @IntegerBetween(0, 1_000_000)
  RATE_LIMIT_PER_USER: number = 120;

  @IntegerBetween(1024, 104_857_600, 'bytes')
  BODY_LIMIT_BYTES: number = 1_048_576;

  @IntegerBetween(1000, 3_600_000, 'milliseconds')
  REQUEST_TIMEOUT_MS: number = 30_000;

  @IntegerBetween(1000, 600_000, 'milliseconds')
  KEEP_ALIVE_TIMEOUT_MS: number = 65_000;
}

/** Thrown at boot when the environment is unusable; the message names each variable and what it must be. */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => {
    // Several constraints of one variable may share a message (a range's minimum and maximum).
    const messages = [...new Set(Object.values(error.constraints ?? {}))];
    const shown =
      typeof error.value === 'string' && !/SECRET|KEY/.test(error.property) ? ` (got "${error.value}")` : '';
    return messages.map((message) => `${error.property} ${message}${shown}`);
  });
}

/**
 * Reads only the variables {@link Environment} declares, so unrelated process variables never leak
 * in; an empty value counts as unset, as `.env.example` leaves optional ones.
 */
export function validateEnvironment(raw: RawEnvironment): Environment {
  const known = new Environment();
  const picked: RawEnvironment = {};
  for (const name of Object.keys(known)) picked[name] = raw[name];
  const defined = Object.fromEntries(
    Object.entries(picked).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const environment = plainToInstance(Environment, defined);
  const errors = validateSync(environment, { skipMissingProperties: false });
  if (errors.length > 0) throw new ConfigurationError(describe(errors));
  return environment;
}
