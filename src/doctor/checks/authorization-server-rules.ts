import { fail, ok, warn, type CheckResult } from '../report.js';
import { stringList } from '../http.js';

/**
 * What a client demands of an authorization server's RFC 8414 / OpenID metadata before it signs
 * in. Pure functions of the document, shared by the `doctor` command and the server's own
 * start-up and readiness check, so both say the same thing in the same words.
 */
export type AuthorizationServerDocument = Record<string, unknown>;

const CLERK_OAUTH_SETTINGS = 'Clerk: Configure → OAuth applications';

/** RFC 8414 §3.3 and the MCP 2026-07-28 discovery rules: the document must name the issuer it was found for. */
export function issuerMatches(
  document: AuthorizationServerDocument,
  expectedIssuer: string,
  expectedIs = 'the issuer URL',
): CheckResult {
  if (document.issuer === expectedIssuer) return ok('as.issuer', `issuer is ${expectedIssuer}`);
  return fail(
    'as.issuer',
    `its issuer ${JSON.stringify(document.issuer)} is not ${expectedIs} ${expectedIssuer}`,
    `Name the issuer exactly as its metadata does (${JSON.stringify(document.issuer)}): set OIDC_ISSUER_URL or CLERK_FRONTEND_API_URL to it, or fix the issuer setting of the authorization server.`,
  );
}

export function supportsPkceS256(document: AuthorizationServerDocument): CheckResult {
  const methods = stringList(document.code_challenge_methods_supported);
  if (methods?.includes('S256')) return ok('as.pkce-s256', `code_challenge_methods_supported lists S256`);
  return fail(
    'as.pkce-s256',
    methods
      ? `code_challenge_methods_supported is ${JSON.stringify(methods)}, without S256, so clients would refuse it`
      : 'code_challenge_methods_supported is missing, so S256 is not offered and clients would refuse it',
    'Turn on PKCE with S256 at the authorization server so that its metadata lists code_challenge_methods_supported: ["S256"].',
  );
}

/** RFC 8414 §2: without grant_types_supported the default is authorization_code and implicit. */
export function supportsAuthorizationCode(document: AuthorizationServerDocument): CheckResult {
  const grants = stringList(document.grant_types_supported);
  const responses = stringList(document.response_types_supported);
  const grantOk = grants === undefined || grants.includes('authorization_code');
  if (grantOk && responses?.includes('code'))
    return ok('as.authorization-code', `authorization_code grant with response type code`);
  return fail(
    'as.authorization-code',
    `grant_types_supported ${JSON.stringify(grants ?? 'absent')}, response_types_supported ${JSON.stringify(responses ?? 'absent')}`,
    'Enable the authorization-code grant (response type code) for OAuth clients at the authorization server.',
  );
}

/**
 * ChatGPT and Claude register as public clients: no secret, PKCE instead. Without the field,
 * RFC 8414's default is client_secret_basic alone.
 */
export function supportsPublicClients(document: AuthorizationServerDocument): CheckResult {
  const methods = stringList(document.token_endpoint_auth_methods_supported) ?? ['client_secret_basic'];
  if (methods.includes('none')) return ok('as.public-clients', `token_endpoint_auth_methods_supported lists none`);
  return fail(
    'as.public-clients',
    `token_endpoint_auth_methods_supported is ${JSON.stringify(methods)}, without none`,
    'Allow public clients (token endpoint auth method none, PKCE without a client secret) at the authorization server.',
  );
}

export function offersRegistration(document: AuthorizationServerDocument): CheckResult {
  const registration = typeof document.registration_endpoint === 'string';
  const cimd = document.client_id_metadata_document_supported === true;
  if (registration || cimd) {
    const offered = [
      registration ? `registration_endpoint ${String(document.registration_endpoint)}` : '',
      cimd ? 'client ID metadata documents' : '',
    ];
    return ok('as.registration', `offers ${offered.filter(Boolean).join(' and ')}`);
  }
  return fail(
    'as.registration',
    'neither registration_endpoint nor client_id_metadata_document_supported, so clients cannot register',
    `Turn on dynamic client registration or client ID metadata documents at the authorization server (${CLERK_OAUTH_SETTINGS} → Dynamic client registration).`,
  );
}

/** Clients ask for the challenge's scopes; an issuer that does not know one refuses the registration or the sign-in. */
export function supportsScopes(
  document: AuthorizationServerDocument,
  scopes: readonly string[],
  scopesFrom: string,
): CheckResult {
  if (scopes.length === 0) return ok('as.scopes', `${scopesFrom} names no scopes`);
  const supported = stringList(document.scopes_supported);
  if (supported === undefined)
    return warn(
      'as.scopes',
      `scopes_supported is not published, so ${scopes.join(' ')} (${scopesFrom}) cannot be checked`,
      `Make sure the authorization server grants ${scopes.join(' ')} to dynamically registered clients (${CLERK_OAUTH_SETTINGS} → default scopes).`,
    );
  const missing = scopes.filter((scope) => !supported.includes(scope));
  if (missing.length === 0) return ok('as.scopes', `${scopes.join(' ')} (${scopesFrom}) are all in scopes_supported`);
  return fail(
    'as.scopes',
    `${missing.join(' ')} (${scopesFrom}) not in scopes_supported ${JSON.stringify(supported)}`,
    `Enable ${missing.join(' ')} at the authorization server (${CLERK_OAUTH_SETTINGS} → default scopes), or set MCP_SCOPES to scopes it supports.`,
  );
}

/** MCP 2026-07-28 "Refresh Tokens": servers should not advertise offline_access; clients add it themselves. */
export function omitsOfflineAccess(scopes: readonly string[], where: string): CheckResult {
  if (!scopes.includes('offline_access')) return ok('scopes.offline-access', `${where} does not list offline_access`);
  return warn(
    'scopes.offline-access',
    `${where} lists offline_access`,
    'Remove offline_access from MCP_SCOPES (the advertised scopes); clients that want refresh tokens ask for it themselves.',
  );
}

/** The rules a server can apply to its own issuer's document without any client round trip. */
export function authorizationServerRules(
  document: AuthorizationServerDocument,
  issuer: string,
  scopes: readonly string[],
  scopesFrom: string,
  expectedIs?: string,
): CheckResult[] {
  return [
    issuerMatches(document, issuer, expectedIs),
    supportsPkceS256(document),
    supportsAuthorizationCode(document),
    supportsPublicClients(document),
    offersRegistration(document),
    supportsScopes(document, scopes, scopesFrom),
  ];
}
