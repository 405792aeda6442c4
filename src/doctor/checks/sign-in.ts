import { createHash, randomBytes } from 'node:crypto';
import { jsonObject, NoAnswerError, stringList, type DoctorHttp } from '../http.js';
import { fail, ok, skip, warn, type CheckResult } from '../report.js';
import type { AuthorizationServerDocument } from './authorization-server-rules.js';
import { LoopbackRedirect } from './loopback-redirect.js';

export interface SignInSettings {
  /** How long to wait for the user to finish in the browser. */
  timeoutMs: number;
  /** Shows the user the authorization URL: opens a browser and/or prints it. */
  present(authorizationUrl: string): void;
}

/** What to sign in to: the MCP URL as the resource, its authorization server, the scopes to ask for. */
export interface SignInTarget {
  resource: string;
  issuer: string;
  document: AuthorizationServerDocument;
  scopes: string[];
}

export interface SignInFindings {
  results: CheckResult[];
  /** Kept in memory for the MCP calls that follow; never printed. */
  accessToken?: string;
}

const SIGN_IN_CHECKS = ['sign-in.registration', 'sign-in.authorization', 'sign-in.token', 'sign-in.audience'];

const skipRest = (results: CheckResult[], reason: string): SignInFindings => ({
  results: [...results, ...SIGN_IN_CHECKS.slice(results.length).map((id) => skip(id, reason))],
});

/**
 * The whole authorization-code flow as a public native client, the way ChatGPT and Claude run it:
 * dynamic registration, PKCE S256 with the `resource` parameter, the browser, a loopback
 * redirect, the token exchange. Then what the token says about itself.
 */
export async function checkSignIn(
  http: DoctorHttp,
  target: SignInTarget,
  settings: SignInSettings,
): Promise<SignInFindings> {
  const redirect = await LoopbackRedirect.start();
  try {
    return await signIn(http, target, settings, redirect);
  } finally {
    await redirect.close();
  }
}

async function signIn(
  http: DoctorHttp,
  { resource, issuer, document, scopes }: SignInTarget,
  settings: SignInSettings,
  redirect: LoopbackRedirect,
): Promise<SignInFindings> {
  const registration = await register(http, document, redirect.redirectUri);
  if (registration.result.status !== 'ok' || registration.clientId === undefined)
    return skipRest([registration.result], 'not registered');

  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorizationUrl = new URL(String(document.authorization_endpoint));
  const params = {
    response_type: 'code',
    client_id: registration.clientId,
    redirect_uri: redirect.redirectUri,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource,
    ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
  };
  for (const [name, value] of Object.entries(params)) authorizationUrl.searchParams.set(name, value);
  settings.present(authorizationUrl.href);

  const callback = await redirect.wait(settings.timeoutMs);
  const authorization = authorizationOutcome(callback, state, issuer, settings.timeoutMs);
  const code = callback?.get('code');
  if (authorization.status !== 'ok' || !code)
    return skipRest([registration.result, authorization], 'no authorization code');

  const form = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirect.redirectUri,
    client_id: registration.clientId,
    code_verifier: verifier,
    resource,
  };
  const exchange = await exchangeCode(http, String(document.token_endpoint), form, scopes);
  if (!exchange.accessToken) return skipRest([registration.result, authorization, exchange.result], 'no access token');
  return {
    results: [registration.result, authorization, exchange.result, audience(exchange.accessToken, resource)],
    accessToken: exchange.accessToken,
  };
}

async function register(
  http: DoctorHttp,
  document: AuthorizationServerDocument,
  redirectUri: string,
): Promise<{ result: CheckResult; clientId?: string }> {
  const id = 'sign-in.registration';
  const endpoint = document.registration_endpoint;
  if (typeof endpoint !== 'string')
    return {
      result: fail(
        id,
        'no registration_endpoint (the doctor cannot publish a client ID metadata document)',
        'Turn on dynamic client registration at the authorization server to let the doctor sign in.',
      ),
    };
  // Like ChatGPT and Claude: a public client, no scope (the issuer's defaults apply).
  const metadata = {
    client_name: 'nest-mcp-oauth doctor',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
  };
  const answer = await http.attempt(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(metadata),
  });
  const fix =
    'Let the authorization server register public clients with loopback redirect URIs (dynamic client registration, token_endpoint_auth_method none).';
  if (answer instanceof NoAnswerError) return { result: fail(id, answer.message, fix) };
  const body = jsonObject(answer.body);
  const clientId = body?.client_id;
  if ((answer.status !== 201 && answer.status !== 200) || typeof clientId !== 'string')
    return { result: fail(id, `POST ${endpoint} answered ${answer.status}${oauthError(body)}`, fix) };
  return { result: ok(id, `registered a public client at ${endpoint}`), clientId };
}

function authorizationOutcome(
  callback: URLSearchParams | undefined,
  state: string,
  issuer: string,
  timeoutMs: number,
): CheckResult {
  const id = 'sign-in.authorization';
  if (!callback)
    return fail(
      id,
      `no redirect back within ${timeoutMs / 1000} s`,
      'Finish the sign-in in the browser in time, or raise --sign-in-timeout.',
    );
  const error = callback.get('error');
  if (error)
    return fail(
      id,
      `the authorization server redirected with error=${error}${callback.has('error_description') ? ` (${callback.get('error_description')})` : ''}`,
      error === 'invalid_scope'
        ? 'Let registered clients request the challenge scopes (Clerk: Configure → OAuth applications → default scopes), or set MCP_SCOPES to scopes they get.'
        : 'Read the error above: the authorization server refused this client, its redirect URI, PKCE or the resource parameter.',
    );
  if (callback.get('state') !== state)
    return fail(
      id,
      'the redirect carried another state',
      'The authorization server must return the state parameter unchanged.',
    );
  const iss = callback.get('iss');
  if (iss !== null && iss !== issuer)
    return fail(
      id,
      `the redirect names issuer ${iss}, not ${issuer}`,
      'Make the authorization server’s iss (RFC 9207) the issuer listed in authorization_servers.',
    );
  return ok(id, `authorization code received with PKCE S256 and resource${iss !== null ? ', iss checked' : ''}`);
}

async function exchangeCode(
  http: DoctorHttp,
  endpoint: string,
  form: Record<string, string>,
  requested: string[],
): Promise<{ result: CheckResult; accessToken?: string }> {
  const id = 'sign-in.token';
  const answer = await http.attempt(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  const fix = 'Let public clients exchange codes with PKCE and the resource parameter at the token endpoint.';
  if (answer instanceof NoAnswerError) return { result: fail(id, answer.message, fix) };
  const body = jsonObject(answer.body);
  const accessToken = body?.access_token;
  if (answer.status !== 200 || typeof accessToken !== 'string')
    return { result: fail(id, `POST ${endpoint} answered ${answer.status}${oauthError(body)}`, fix) };

  const claims = jwtClaims(accessToken);
  const granted = tokenScopes(claims, body);
  const lifetime =
    typeof claims?.exp === 'number' && typeof claims.iat === 'number'
      ? claims.exp - claims.iat
      : Number(body?.expires_in);
  const seen = [
    claims ? 'JWT access token' : 'opaque access token',
    `scopes ${granted.length > 0 ? granted.join(' ') : '(none stated)'}`,
    `lifetime ${Number.isFinite(lifetime) ? `${lifetime} s` : 'not stated'}`,
    `refresh token ${typeof body?.refresh_token === 'string' ? 'issued' : 'not issued'}`,
  ].join(', ');
  const missing = granted.length > 0 ? requested.filter((scope) => !granted.includes(scope)) : [];
  if (missing.length > 0)
    return {
      result: warn(
        id,
        `${seen}; missing ${missing.join(' ')}`,
        'Grant registered clients every scope in the challenge (the issuer’s default scopes for new clients).',
      ),
      accessToken,
    };
  return { result: ok(id, seen), accessToken };
}

/** RFC 8707: a token for this server names it as its audience. Only a JWT shows that from outside. */
function audience(accessToken: string, resource: string): CheckResult {
  const id = 'sign-in.audience';
  const claims = jwtClaims(accessToken);
  if (!claims)
    return warn(
      id,
      'the access token is opaque, so its audience cannot be read from outside',
      'Prefer JWT access tokens (Clerk: OAuth applications → Generate access tokens as JWTs) so clients and resource servers can check the audience.',
    );
  const aud = typeof claims.aud === 'string' ? [claims.aud] : (stringList(claims.aud) ?? []);
  if (aud.includes(resource)) return ok(id, `aud ${aud.join(', ')} matches the resource`);
  const fix = `Make the authorization server put the resource parameter (${resource}) into aud: Auth0 API identifier, Keycloak audience mapper; Clerk does when clients send resource.`;
  if (aud.length === 0) return warn(id, 'the access token has no aud, so it is not bound to this server', fix);
  return fail(id, `aud ${aud.join(', ')} does not name the resource ${resource}`, fix);
}

/**
 * The payload of a JWS compact token, or undefined for anything else (an opaque token). Never
 * verified: the doctor only reports what the token says.
 */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = jsonObject(Buffer.from(parts[0], 'base64url').toString('utf8'));
  if (typeof header?.alg !== 'string') return undefined;
  return jsonObject(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

function tokenScopes(
  claims: Record<string, unknown> | undefined,
  response: Record<string, unknown> | undefined,
): string[] {
  const fromClaims = typeof claims?.scope === 'string' ? claims.scope.split(' ') : stringList(claims?.scp);
  const fromResponse = typeof response?.scope === 'string' ? response.scope.split(' ') : undefined;
  return (fromClaims ?? fromResponse ?? []).filter(Boolean);
}

function oauthError(body: Record<string, unknown> | undefined): string {
  const error = typeof body?.error === 'string' ? body.error : undefined;
  if (!error) return '';
  return ` (${error}${typeof body?.error_description === 'string' ? `: ${body.error_description}` : ''})`;
}
