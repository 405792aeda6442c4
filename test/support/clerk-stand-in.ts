/**
 * A Clerk stand-in for tests: one real HTTP server on 127.0.0.1 (random port) that impersonates
 * both Clerk's Backend API (BAPI, what `@clerk/backend` calls) and Frontend API (FAPI: discovery
 * documents, JWKS and a minimal OAuth 2.1 authorization server with DCR, PKCE and auto-consent).
 *
 * It follows /work/shared/reference/clerk-contract.md (§1.2, §1.3, §2.6, §4, §6): every JSON
 * answer carries `Content-Type: application/json` exactly (the SDK parses nothing else), opaque
 * token verification answers the `clerk_idp_oauth_access_token` object with millisecond
 * timestamps, BAPI routes demand the secret key, and user email addresses carry `linked_to: []`.
 */
import { createHash, generateKeyPair, randomBytes, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { SignJWT, base64url, generateKeyPair as generateJoseKeyPair, type CryptoKey, type JWTPayload } from 'jose';

export interface StandInUser {
  id: string;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  imageUrl: string;
  emailAddresses: { id: string; emailAddress: string; verified: boolean }[];
  primaryEmailAddressId: string | null;
}

export type StandInRoute =
  | 'verify'
  | 'bapiJwks'
  | 'users'
  | 'fapiJwks'
  | 'asMetadata'
  | 'oidcConfiguration'
  | 'register'
  | 'authorize'
  | 'token';

/**
 * `unexpectedJson`: 200 with `Content-Type: application/json` and a JSON body that is not what Clerk sends;
 * `brokenJson`: the same content type over a body that is not JSON at all; `truncated`: the connection
 * closes halfway through a 200 answer.
 */
export type StandInFault = 'down' | 'slow' | 'error500' | 'nonJson' | 'unexpectedJson' | 'brokenJson' | 'truncated';

export interface JwtOptions {
  sub?: string;
  clientId?: string;
  scopes?: string[];
  scopeClaim?: 'scope' | 'scp';
  aud?: string | string[];
  issuer?: string;
  /** Negative = already expired. Default 3600. */
  expiresInSeconds?: number;
  /** Offset of `nbf` from now. Default 0. */
  notBeforeSeconds?: number;
  /** Default 'at+jwt'. */
  typ?: string;
  alg?: 'RS256' | 'RS384' | 'ES256' | 'HS256' | 'none';
  /** Sign with an RSA key the stand-in never publishes, under the current kid. */
  signWithForeignKey?: boolean;
  kid?: string;
  /** Payload claims to leave out, e.g. ['exp'] or ['sub']. */
  omitClaims?: string[];
  /** Payload claims to set after the defaults, with any JSON value (e.g. `{ sub: 42 }`, `{ iat: <a year ahead> }`). */
  claims?: Record<string, unknown>;
}

export interface OpaqueTokenOptions {
  sub?: string;
  clientId?: string;
  scopes?: string[];
  aud?: string[];
  /** Default 3600; null = no expiration; negative = already expired. */
  expiresInSeconds?: number | null;
  revoked?: boolean;
  expired?: boolean;
}

export type StandInTokenFormat = 'jwt' | 'opaque';

type Json = Record<string, unknown>;
type RequestHeaders = Record<string, string | string[] | undefined>;
type FaultScope = 'all' | 'fapi' | 'bapi';

interface RsaKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Json;
  publicPem: string;
}

interface OpaqueRecord {
  id: string;
  subject: string;
  clientId: string;
  scopes: string[];
  aud?: string[];
  createdAt: number;
  expiration: number | null;
  revoked: boolean;
  expired: boolean;
}

interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
  redirectUris: string[];
  scopes: string[];
  document: Json;
}

interface Grant {
  clientId: string;
  subject: string;
  scopes: string[];
  resource: string[];
  nonce?: string;
}

interface AuthorizationCode extends Grant {
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
}

interface RouteMatch {
  route: StandInRoute | null;
  side: 'fapi' | 'bapi' | null;
  params: { userId?: string };
}

const generateRsaKeyPair = promisify(generateKeyPair);

const SECRET_KEY = 'sk_test_emulator';
const DEFAULT_CLIENT_ID = 'client_stand_in';
const ACCESS_TOKEN_SECONDS = 86_400;
const AUTHORIZATION_CODE_MS = 10 * 60 * 1000;
const SCOPES_SUPPORTED = ['openid', 'profile', 'email', 'public_metadata', 'private_metadata', 'offline_access'];

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

const sha256Base64Url = (value: string): string => createHash('sha256').update(value).digest('base64url');

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function clerkErrors(code: string, message: string, longMessage = message): Json {
  return { errors: [{ code, message, long_message: longMessage, meta: {} }], clerk_trace_id: hex(16) };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

const splitScopes = (scope: string): string[] => scope.split(' ').filter((item) => item.length > 0);

async function newRsaKey(kid: string): Promise<RsaKey> {
  const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const { n, e } = publicKey.export({ format: 'jwk' });
  return {
    kid,
    privateKey,
    publicJwk: { use: 'sig', kty: 'RSA', kid, alg: 'RS256', n, e },
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

export class ClerkStandIn {
  readonly url: string;
  readonly issuer: string;
  readonly publishableKey: string;
  readonly secretKey = SECRET_KEY;
  readonly defaultUser: StandInUser = {
    id: 'user_alice',
    firstName: 'Alice',
    lastName: 'Liddell',
    username: 'alice',
    imageUrl: 'https://img.clerk.com/stand-in/alice.png',
    emailAddresses: [{ id: 'idn_alice', emailAddress: 'alice@example.com', verified: true }],
    primaryEmailAddressId: 'idn_alice',
  };

  private readonly server: Server;
  private readonly defaultScopes: string[];
  private readonly startedAt = Date.now();
  private key: RsaKey;
  private keyGeneration = 1;
  private foreignKey?: Promise<RsaKey>;
  private ecKey?: Promise<CryptoKey>;
  private readonly users = new Map<string, StandInUser>();
  private readonly opaqueTokens = new Map<string, OpaqueRecord>();
  private readonly clients = new Map<string, RegisteredClient>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly hitCounts = new Map<StandInRoute, number>();
  private readonly lastHeaders = new Map<StandInRoute, RequestHeaders>();
  private readonly hitWaiters = new Set<() => void>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private fault: { kind: StandInFault; scope: FaultScope; delayMs: number } | null = null;
  private revokedWith200 = false;
  private metadataOverrides: Json = {};
  private metadataRemovals: string[] = [];
  private tokenFormat: StandInTokenFormat = 'jwt';
  private closed = false;

  private constructor(server: Server, port: number, key: RsaKey, defaultScopes: string[]) {
    this.server = server;
    this.key = key;
    this.defaultScopes = defaultScopes;
    this.url = `http://127.0.0.1:${port}`;
    this.issuer = this.url;
    this.publishableKey = `pk_test_${Buffer.from(`127.0.0.1:${port}$`).toString('base64').replace(/=+$/, '')}`;
    this.users.set(this.defaultUser.id, this.defaultUser);
  }

  /** Generates the signing key, listens on a random loopback port and resolves once it accepts connections. */
  static async start(options: { defaultScopes?: string[] } = {}): Promise<ClerkStandIn> {
    const key = await newRsaKey('ins_emulator');
    // Filled in once listening: a request before that is refused.
    const started: { standIn?: ClerkStandIn } = {};
    const server = createServer((req, res) => {
      if (started.standIn) started.standIn.handle(req, res);
      else req.socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    started.standIn = new ClerkStandIn(server, port, key, [...(options.defaultScopes ?? ['profile', 'email'])]);
    return started.standIn;
  }

  get currentKid(): string {
    return this.key.kid;
  }

  addUser(user: StandInUser): void {
    this.users.set(user.id, user);
  }

  /** An OAuth access token in Clerk's JWT format (`typ: at+jwt`, RS256, current kid), or a deliberately broken one. */
  async mintJwt(options: JwtOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const scopes = options.scopes ?? this.defaultScopes;
    const payload: JWTPayload = {
      iss: options.issuer ?? this.issuer,
      sub: options.sub ?? this.defaultUser.id,
      client_id: options.clientId ?? DEFAULT_CLIENT_ID,
      jti: `oat_${hex(16)}`,
      iat: now,
      nbf: now + (options.notBeforeSeconds ?? 0),
      exp: now + (options.expiresInSeconds ?? 3600),
    };
    if (options.scopeClaim === 'scp') payload.scp = [...scopes];
    else payload.scope = scopes.join(' ');
    if (options.aud !== undefined) payload.aud = Array.isArray(options.aud) ? [...options.aud] : options.aud;
    Object.assign(payload, options.claims);
    for (const claim of options.omitClaims ?? []) delete payload[claim];

    const alg = options.alg ?? 'RS256';
    const header = { alg, typ: options.typ ?? 'at+jwt', kid: options.kid ?? this.key.kid };
    if (alg === 'none') {
      const encode = (value: object): string => base64url.encode(JSON.stringify(value));
      return `${encode(header)}.${encode(payload)}.`;
    }
    const jwt = new SignJWT(payload).setProtectedHeader(header);
    if (alg === 'HS256') return jwt.sign(new TextEncoder().encode(this.key.publicPem)); // the classic alg-confusion forgery
    if (alg === 'ES256') return jwt.sign(await this.ecSigningKey());
    const signingKey = options.signWithForeignKey ? await this.foreignSigningKey() : this.key;
    return jwt.sign(signingKey.privateKey);
  }

  /** An opaque `oat_` access token, stored for BAPI verification. */
  mintOpaqueToken(options: OpaqueTokenOptions = {}): string {
    const token = `oat_${hex(16)}`;
    const now = Date.now();
    const lifetime = options.expiresInSeconds === undefined ? 3600 : options.expiresInSeconds;
    this.opaqueTokens.set(token, {
      id: `oat_${hex(16)}`,
      subject: options.sub ?? this.defaultUser.id,
      clientId: options.clientId ?? DEFAULT_CLIENT_ID,
      scopes: [...(options.scopes ?? this.defaultScopes)],
      aud: options.aud ? [...options.aud] : undefined,
      createdAt: now,
      expiration: lifetime === null ? null : now + lifetime * 1000,
      revoked: options.revoked ?? false,
      expired: options.expired ?? false,
    });
    return token;
  }

  /** Marks an opaque token (or a refresh token) revoked. */
  revoke(token: string): void {
    const record = this.opaqueTokens.get(token);
    if (record) record.revoked = true;
    this.refreshTokens.delete(token);
  }

  async rotateKeys(): Promise<void> {
    this.keyGeneration += 1;
    this.key = await newRsaKey(`ins_emulator_${this.keyGeneration}_${hex(4)}`);
  }

  /**
   * Publishes the foreign key under the current kid, as an issuer that replaced a key without renaming it
   * would: tokens minted with `signWithForeignKey` before then verify from now on.
   */
  async publishForeignKeyUnderCurrentKid(): Promise<void> {
    const foreign = await this.foreignSigningKey();
    this.key = { ...foreign, publicJwk: { ...foreign.publicJwk, kid: foreign.kid } };
  }

  hits(route: StandInRoute): number {
    return this.hitCounts.get(route) ?? 0;
  }

  /** Resolves once `route` has been requested `count` times (since the last {@link resetHits}). */
  whenHits(route: StandInRoute, count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.hits(route) < count) return;
        this.hitWaiters.delete(check);
        resolve();
      };
      this.hitWaiters.add(check);
      check();
    });
  }

  resetHits(): void {
    this.hitCounts.clear();
    this.lastHeaders.clear();
  }

  lastRequestHeaders(route: StandInRoute): Record<string, string | string[] | undefined> | undefined {
    const headers = this.lastHeaders.get(route);
    return headers ? { ...headers } : undefined;
  }

  setFault(fault: StandInFault | null, options: { scope?: 'all' | 'fapi' | 'bapi'; delayMs?: number } = {}): void {
    this.fault =
      fault === null ? null : { kind: fault, scope: options.scope ?? 'all', delayMs: options.delayMs ?? 5000 };
  }

  setOpaqueVerifyAnswersRevokedWith200(on: boolean): void {
    this.revokedWith200 = on;
  }

  /** Replaces the overrides applied to both discovery documents; `{}` with no removals restores the defaults. */
  setMetadataOverrides(overrides: Record<string, unknown>, options: { remove?: string[] } = {}): void {
    this.metadataOverrides = { ...overrides };
    this.metadataRemovals = [...(options.remove ?? [])];
  }

  /** What `POST /oauth/token` issues: JWT access tokens (Clerk's default) or opaque `oat_` tokens. */
  setTokenFormat(format: StandInTokenFormat): void {
    this.tokenFormat = format;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closing;
  }

  // ---------------------------------------------------------------- request handling

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = URL.parse(req.url ?? '/', this.url) ?? new URL('/', this.url);
    const match = this.match(req.method ?? 'GET', url.pathname);
    if (match.route) {
      this.hitCounts.set(match.route, this.hits(match.route) + 1);
      this.lastHeaders.set(match.route, { ...req.headers });
      for (const waiter of [...this.hitWaiters]) waiter();
    }

    const fault = this.fault;
    const faultApplies = fault !== null && (fault.scope === 'all' || fault.scope === match.side);
    if (fault && faultApplies) {
      switch (fault.kind) {
        case 'down':
          req.socket.destroy();
          return;
        case 'error500':
          this.sendJson(
            res,
            500,
            clerkErrors(
              'internal_clerk_error',
              'Oops, an unexpected error occurred',
              'There was an internal error on our servers.',
            ),
          );
          return;
        case 'nonJson':
          this.send(
            res,
            200,
            'text/html',
            '<!doctype html><html><body><h1>Clerk stand-in</h1><p>This is not JSON.</p></body></html>',
          );
          return;
        case 'unexpectedJson':
          this.sendJson(res, 200, ['not', 'a', 'Clerk', 'object']);
          return;
        case 'brokenJson':
          this.send(res, 200, 'application/json', '{"object": "clerk_idp_oauth_access_token", "subject": ');
          return;
        case 'truncated':
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '4096' });
          res.write('{"object": "clerk_idp_oauth_access_token", ');
          setImmediate(() => res.destroy());
          return;
        case 'slow': {
          const timer = setTimeout(() => {
            this.pendingTimers.delete(timer);
            if (!res.destroyed) this.dispatch(req, res, url, match);
          }, fault.delayMs);
          this.pendingTimers.add(timer);
          res.on('close', () => {
            clearTimeout(timer);
            this.pendingTimers.delete(timer);
          });
          return;
        }
      }
    }
    this.dispatch(req, res, url, match);
  }

  private match(method: string, path: string): RouteMatch {
    const none: RouteMatch = { route: null, side: null, params: {} };
    if (
      method === 'POST' &&
      (path === '/oauth_applications/access_tokens/verify' || path === '/v1/oauth_applications/access_tokens/verify')
    )
      return { route: 'verify', side: 'bapi', params: {} };
    if (method === 'GET' && path === '/v1/jwks') return { route: 'bapiJwks', side: 'bapi', params: {} };
    const user = /^\/v1\/users\/([^/]+)$/.exec(path);
    if (method === 'GET' && user)
      return { route: 'users', side: 'bapi', params: { userId: safeDecode(user[1] ?? '') } };
    if (method === 'GET' && path === '/.well-known/jwks.json') return { route: 'fapiJwks', side: 'fapi', params: {} };
    if (method === 'GET' && path === '/.well-known/oauth-authorization-server')
      return { route: 'asMetadata', side: 'fapi', params: {} };
    if (method === 'GET' && path === '/.well-known/openid-configuration')
      return { route: 'oidcConfiguration', side: 'fapi', params: {} };
    if (method === 'POST' && path === '/oauth/register') return { route: 'register', side: 'fapi', params: {} };
    if ((method === 'GET' || method === 'POST') && path === '/oauth/authorize')
      return { route: 'authorize', side: 'fapi', params: {} };
    if (method === 'POST' && path === '/oauth/token') return { route: 'token', side: 'fapi', params: {} };
    return none;
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, url: URL, match: RouteMatch): void {
    this.route(req, res, url, match).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const message = error instanceof Error ? error.message : String(error);
      this.sendJson(res, 500, clerkErrors('internal_clerk_error', `Clerk stand-in failure: ${message}`));
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, match: RouteMatch): Promise<void> {
    const body = await readBody(req);
    if (match.side === 'bapi' && !this.hasSecretKey(req)) {
      this.sendJson(
        res,
        401,
        clerkErrors(
          'clerk_key_invalid',
          'Secret Key is invalid',
          'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.',
        ),
      );
      return;
    }
    switch (match.route) {
      case 'verify':
        return this.verifyOpaque(res, body);
      case 'bapiJwks':
      case 'fapiJwks':
        return this.sendJson(res, 200, { keys: [this.key.publicJwk] });
      case 'users':
        return this.getUser(res, match.params.userId ?? '');
      case 'asMetadata':
        return this.sendJson(res, 200, this.applyOverrides(this.authorizationServerMetadata()));
      case 'oidcConfiguration':
        return this.sendJson(res, 200, this.applyOverrides(this.openIdConfiguration()));
      case 'register':
        return this.register(res, body);
      case 'authorize':
        return this.authorize(res, req.method === 'POST' ? new URLSearchParams(body) : url.searchParams);
      case 'token':
        return this.token(req, res, new URLSearchParams(body));
      case null:
        return this.sendJson(
          res,
          404,
          clerkErrors('resource_not_found', 'not found', `No route matches ${req.method ?? 'GET'} ${url.pathname}.`),
        );
    }
  }

  private hasSecretKey(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    return typeof header === 'string' && safeEqual(header, `Bearer ${this.secretKey}`);
  }

  // ---------------------------------------------------------------- BAPI

  private verifyOpaque(res: ServerResponse, body: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return this.sendJson(
        res,
        400,
        clerkErrors('request_body_invalid', 'Request body invalid', 'The request body is not valid JSON.'),
      );
    }
    const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Json) : {};
    const token =
      typeof fields.access_token === 'string'
        ? fields.access_token
        : typeof fields.secret === 'string'
          ? fields.secret
          : undefined;
    if (token === undefined)
      return this.sendJson(res, 422, clerkErrors('form_param_missing', 'is missing', 'access_token must be included.'));

    const record = this.opaqueTokens.get(token);
    const now = Date.now();
    const expired =
      record !== undefined && (record.expired || (record.expiration !== null && record.expiration <= now));
    if (!record || ((record.revoked || expired) && !this.revokedWith200))
      return this.sendJson(res, 404, clerkErrors('resource_not_found', 'not found', 'OAuth access token not found.'));

    const answer: Json = {
      object: 'clerk_idp_oauth_access_token',
      id: record.id,
      client_id: record.clientId,
      type: 'oauth:access_token',
      subject: record.subject,
      scopes: [...record.scopes],
      revoked: record.revoked,
      revocation_reason: record.revoked ? 'revoked' : null,
      expired,
      expiration: record.expiration,
      created_at: record.createdAt,
      updated_at: record.createdAt,
    };
    if (record.aud) answer.aud = [...record.aud];
    this.sendJson(res, 200, answer);
  }

  private getUser(res: ServerResponse, userId: string): void {
    const user = this.users.get(userId);
    if (!user)
      return this.sendJson(res, 404, clerkErrors('resource_not_found', 'not found', `User ${userId} was not found.`));
    this.sendJson(res, 200, this.userJson(user));
  }

  private userJson(user: StandInUser): Json {
    const at = this.startedAt;
    return {
      object: 'user',
      id: user.id,
      external_id: null,
      primary_email_address_id: user.primaryEmailAddressId,
      primary_phone_number_id: null,
      primary_web3_wallet_id: null,
      username: user.username,
      first_name: user.firstName,
      last_name: user.lastName,
      image_url: user.imageUrl,
      has_image: user.imageUrl.length > 0,
      public_metadata: {},
      private_metadata: {},
      unsafe_metadata: {},
      email_addresses: user.emailAddresses.map((address) => ({
        object: 'email_address',
        id: address.id,
        email_address: address.emailAddress,
        reserved: false,
        verification: {
          status: address.verified ? 'verified' : 'unverified',
          strategy: 'email_code',
          attempts: null,
          expire_at: null,
        },
        linked_to: [],
        matches_sso_connection: false,
        created_at: at,
        updated_at: at,
      })),
      phone_numbers: [],
      web3_wallets: [],
      passkeys: [],
      external_accounts: [],
      saml_accounts: [],
      enterprise_accounts: [],
      password_enabled: false,
      two_factor_enabled: false,
      totp_enabled: false,
      backup_code_enabled: false,
      mfa_enabled_at: null,
      mfa_disabled_at: null,
      banned: false,
      locked: false,
      lockout_expires_in_seconds: null,
      verification_attempts_remaining: 100,
      create_organization_enabled: true,
      create_organizations_limit: null,
      delete_self_enabled: true,
      legal_accepted_at: null,
      locale: null,
      created_at: at,
      updated_at: at,
      last_sign_in_at: at,
      last_active_at: at,
    };
  }

  // ---------------------------------------------------------------- FAPI discovery

  private authorizationServerMetadata(): Json {
    const base = this.issuer;
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/token/revoke`,
      registration_endpoint: `${base}/oauth/register`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
      scopes_supported: [...SCOPES_SUPPORTED],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'email', 'name', 'org_id'],
      code_challenge_methods_supported: ['S256'],
      service_documentation: 'https://clerk.com/docs',
      ui_locales_supported: ['en'],
      op_tos_uri: 'https://clerk.com/legal/standard-terms',
    };
  }

  private openIdConfiguration(): Json {
    const base = this.issuer;
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/token/revoke`,
      registration_endpoint: `${base}/oauth/register`,
      introspection_endpoint: `${base}/oauth/token_info`,
      userinfo_endpoint: `${base}/oauth/userinfo`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'form_post'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
      scopes_supported: [...SCOPES_SUPPORTED],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'email', 'name', 'org_id'],
      code_challenge_methods_supported: ['S256'],
      backchannel_logout_supported: false,
      frontchannel_logout_supported: false,
    };
  }

  private applyOverrides(document: Json): Json {
    const result: Json = { ...document, ...this.metadataOverrides };
    for (const field of this.metadataRemovals) delete result[field];
    return result;
  }

  // ---------------------------------------------------------------- FAPI OAuth

  private register(res: ServerResponse, body: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return this.sendJson(res, 400, {
        error: 'invalid_client_metadata',
        error_description: 'The request body is not valid JSON.',
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return this.sendJson(res, 400, {
        error: 'invalid_client_metadata',
        error_description: 'The client metadata must be a JSON object.',
      });
    const metadata = parsed as Json;
    const redirectUris = metadata.redirect_uris;
    if (!isStringArray(redirectUris) || redirectUris.length === 0 || !redirectUris.every((uri) => URL.canParse(uri)))
      return this.sendJson(res, 400, {
        error: 'invalid_redirect_uri',
        error_description: 'redirect_uris must be a non-empty array of absolute URIs.',
      });
    if (metadata.scope !== undefined && typeof metadata.scope !== 'string')
      return this.sendJson(res, 400, {
        error: 'invalid_client_metadata',
        error_description: 'scope must be a space-separated string.',
      });
    const authMethod =
      typeof metadata.token_endpoint_auth_method === 'string'
        ? metadata.token_endpoint_auth_method
        : 'client_secret_basic';
    if (!['client_secret_basic', 'client_secret_post', 'none'].includes(authMethod))
      return this.sendJson(res, 400, {
        error: 'invalid_client_metadata',
        error_description: `Unsupported token_endpoint_auth_method ${authMethod}.`,
      });

    const clientId = `client_${hex(12)}`;
    const scopes =
      typeof metadata.scope === 'string' && metadata.scope.trim() !== ''
        ? splitScopes(metadata.scope)
        : [...this.defaultScopes];
    const document: Json = {
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      client_secret_expires_at: 0,
      client_name: typeof metadata.client_name === 'string' ? metadata.client_name : clientId,
      redirect_uris: [...redirectUris],
      grant_types: isStringArray(metadata.grant_types) ? metadata.grant_types : ['authorization_code', 'refresh_token'],
      response_types: isStringArray(metadata.response_types) ? metadata.response_types : ['code'],
      scope: scopes.join(' '),
      token_endpoint_auth_method: authMethod,
    };
    if (typeof metadata.client_uri === 'string') document.client_uri = metadata.client_uri;
    if (typeof metadata.logo_uri === 'string') document.logo_uri = metadata.logo_uri;
    const client: RegisteredClient = { clientId, redirectUris: [...redirectUris], scopes, document };
    if (authMethod !== 'none') {
      client.clientSecret = hex(24);
      document.client_secret = client.clientSecret;
    }
    this.clients.set(clientId, client);
    this.sendJson(res, 201, document);
  }

  /** Auto-consents as the default user; redirects with `code` and `state`, or with an OAuth error. */
  private authorize(res: ServerResponse, params: URLSearchParams): void {
    const client = this.clients.get(params.get('client_id') ?? '');
    if (!client) return this.sendJson(res, 400, { error: 'invalid_client', error_description: 'Unknown client_id.' });
    const requestedRedirect = params.get('redirect_uri');
    const redirectUri = requestedRedirect ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri))
      return this.sendJson(res, 400, {
        error: 'invalid_request',
        error_description: 'redirect_uri does not match a registered redirect URI.',
      });

    const state = params.get('state');
    const fail = (error: string, description: string): void => {
      const location = new URL(redirectUri);
      location.searchParams.set('error', error);
      location.searchParams.set('error_description', description);
      if (state !== null) location.searchParams.set('state', state);
      this.redirect(res, location.href);
    };
    if (params.get('response_type') !== 'code')
      return fail('unsupported_response_type', 'Only response_type=code is supported.');
    const codeChallenge = params.get('code_challenge');
    if (!codeChallenge || params.get('code_challenge_method') !== 'S256')
      return fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
    const scopeParam = params.get('scope');
    const scopes = scopeParam === null || scopeParam.trim() === '' ? [...client.scopes] : splitScopes(scopeParam);
    const forbidden = scopes.find((scope) => !client.scopes.includes(scope));
    if (forbidden !== undefined)
      return fail('invalid_scope', `The OAuth 2.0 Client is not allowed to request scope '${forbidden}'.`);

    const code = hex(24);
    this.codes.set(code, {
      clientId: client.clientId,
      subject: this.defaultUser.id,
      scopes,
      resource: params.getAll('resource'),
      nonce: params.get('nonce') ?? undefined,
      redirectUri,
      codeChallenge,
      expiresAt: Date.now() + AUTHORIZATION_CODE_MS,
    });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    if (state !== null) location.searchParams.set('state', state);
    this.redirect(res, location.href);
  }

  private async token(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): Promise<void> {
    const oauthError = (status: number, error: string, description: string): void =>
      this.sendJson(res, status, { error, error_description: description });
    const credentials = clientCredentials(req, params);
    const client = this.clients.get(credentials.clientId ?? '');
    if (!client) return oauthError(401, 'invalid_client', 'Unknown client or missing client authentication.');
    if (client.clientSecret !== undefined && !safeEqual(credentials.clientSecret ?? '', client.clientSecret))
      return oauthError(401, 'invalid_client', 'Client authentication failed.');

    const requestedResources = params.getAll('resource');
    let grant: Grant;
    switch (params.get('grant_type')) {
      case 'authorization_code': {
        const code = params.get('code') ?? '';
        const stored = this.codes.get(code);
        this.codes.delete(code); // single use, even when the exchange fails
        if (!stored || stored.clientId !== client.clientId || stored.expiresAt <= Date.now())
          return oauthError(
            400,
            'invalid_grant',
            'The authorization code is invalid, expired, used or was issued to another client.',
          );
        if (
          params.has('redirect_uri')
            ? params.get('redirect_uri') !== stored.redirectUri
            : client.redirectUris.length > 1
        )
          return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
        const verifier = params.get('code_verifier');
        if (!verifier) return oauthError(400, 'invalid_request', 'code_verifier is required.');
        if (!safeEqual(sha256Base64Url(verifier), stored.codeChallenge))
          return oauthError(400, 'invalid_grant', 'PKCE verification failed.');
        grant = stored;
        break;
      }
      case 'refresh_token': {
        const refreshToken = params.get('refresh_token') ?? '';
        const stored = this.refreshTokens.get(refreshToken);
        if (!stored || stored.clientId !== client.clientId)
          return oauthError(400, 'invalid_grant', 'The refresh token is invalid.');
        this.refreshTokens.delete(refreshToken); // rotated below
        const scopeParam = params.get('scope');
        const scopes = scopeParam === null ? stored.scopes : splitScopes(scopeParam);
        if (scopes.some((scope) => !stored.scopes.includes(scope)))
          return oauthError(400, 'invalid_scope', 'The requested scope exceeds the original grant.');
        grant = { ...stored, scopes };
        break;
      }
      default:
        return oauthError(400, 'unsupported_grant_type', 'Only authorization_code and refresh_token are supported.');
    }
    if (grant.resource.length > 0 && requestedResources.some((resource) => !grant.resource.includes(resource)))
      return oauthError(400, 'invalid_target', 'The requested resource was not part of the authorization.');
    const audience = requestedResources.length > 0 ? requestedResources : grant.resource;

    const refreshToken = hex(24);
    this.refreshTokens.set(refreshToken, {
      clientId: grant.clientId,
      subject: grant.subject,
      scopes: grant.scopes,
      resource: grant.resource,
    });
    const accessToken =
      this.tokenFormat === 'opaque'
        ? this.mintOpaqueToken({
            sub: grant.subject,
            clientId: grant.clientId,
            scopes: grant.scopes,
            aud: audience.length > 0 ? audience : undefined,
            expiresInSeconds: ACCESS_TOKEN_SECONDS,
          })
        : await this.mintJwt({
            sub: grant.subject,
            clientId: grant.clientId,
            scopes: grant.scopes,
            aud: audience.length === 0 ? undefined : audience.length === 1 ? audience[0] : audience,
            expiresInSeconds: ACCESS_TOKEN_SECONDS,
          });
    const answer: Json = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
      refresh_token: refreshToken,
      scope: grant.scopes.join(' '),
    };
    if (grant.scopes.includes('openid')) answer.id_token = await this.idToken(grant);
    this.sendJson(res, 200, answer, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }

  private async idToken(grant: Grant): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const user = this.users.get(grant.subject);
    const primary = user?.emailAddresses.find((address) => address.id === user.primaryEmailAddressId);
    const claims: JWTPayload = {
      iss: this.issuer,
      sub: grant.subject,
      aud: grant.clientId,
      iat: now,
      exp: now + ACCESS_TOKEN_SECONDS,
      jti: randomUUID(),
    };
    if (grant.nonce !== undefined) claims.nonce = grant.nonce;
    if (user && grant.scopes.includes('email') && primary)
      Object.assign(claims, { email: primary.emailAddress, email_verified: primary.verified });
    if (user && grant.scopes.includes('profile'))
      Object.assign(claims, {
        given_name: user.firstName,
        family_name: user.lastName,
        preferred_username: user.username,
        picture: user.imageUrl,
      });
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.key.kid })
      .sign(this.key.privateKey);
  }

  // ---------------------------------------------------------------- helpers

  private async foreignSigningKey(): Promise<RsaKey> {
    this.foreignKey ??= newRsaKey('unpublished');
    const foreign = await this.foreignKey;
    return { ...foreign, kid: this.key.kid };
  }

  private async ecSigningKey(): Promise<CryptoKey> {
    this.ecKey ??= generateJoseKeyPair('ES256').then((pair) => pair.privateKey);
    return this.ecKey;
  }

  private sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.send(res, status, 'application/json', JSON.stringify(body), headers);
  }

  private send(
    res: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    const buffer = Buffer.from(body, 'utf8');
    res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': String(buffer.length) });
    res.end(buffer);
  }

  private redirect(res: ServerResponse, location: string): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(302, { Location: location, 'Content-Length': '0', 'Cache-Control': 'no-store' });
    res.end();
  }
}

function clientCredentials(
  req: IncomingMessage,
  params: URLSearchParams,
): { clientId?: string; clientSecret?: string } {
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0)
      return { clientId: safeDecode(decoded.slice(0, colon)), clientSecret: safeDecode(decoded.slice(colon + 1)) };
  }
  return { clientId: params.get('client_id') ?? undefined, clientSecret: params.get('client_secret') ?? undefined };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > 1_000_000) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
