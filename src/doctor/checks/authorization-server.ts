import { isSecureEnough, jsonObject, NoAnswerError, stringList, type DoctorHttp } from '../http.js';
import { fail, ok, skip, type CheckResult } from '../report.js';
import { authorizationServerRules, type AuthorizationServerDocument } from './authorization-server-rules.js';

export interface AuthorizationServerFindings {
  results: CheckResult[];
  issuer?: string;
  document?: AuthorizationServerDocument;
}

/**
 * Where a client looks for an issuer's metadata, in the MCP specification's order: RFC 8414 with
 * the issuer's path inserted, then OpenID discovery inserted, then appended (the last two are
 * one URL for an issuer without a path).
 */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  const urls = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  return [...new Set(urls)];
}

const LATER_CHECKS = [
  'as.issuer',
  'as.pkce-s256',
  'as.authorization-code',
  'as.public-clients',
  'as.registration',
  'as.scopes',
  'as.https',
  'as.jwks',
];

/** The first authorization server named in the protected-resource metadata, as clients read it. */
export async function checkAuthorizationServer(
  http: DoctorHttp,
  resourceDocument: Record<string, unknown> | undefined,
  scopes: string[],
  scopesFrom: string,
): Promise<AuthorizationServerFindings> {
  const issuer = stringList(resourceDocument?.authorization_servers)?.find((server) => URL.canParse(server));
  if (issuer === undefined)
    return { results: ['as.metadata', ...LATER_CHECKS].map((id) => skip(id, 'no authorization server named')) };
  const tried: string[] = [];
  for (const url of authorizationServerMetadataUrls(issuer)) {
    const answer = await http.attempt(url, { headers: { Accept: 'application/json' } });
    const document = answer instanceof NoAnswerError || answer.status !== 200 ? undefined : jsonObject(answer.body);
    if (!document) {
      tried.push(answer instanceof NoAnswerError ? answer.message : `${url} ${answer.status}`);
      continue;
    }
    const found = ok('as.metadata', `found at ${url}${tried.length > 0 ? ` (after ${tried.join(', ')})` : ''}`);
    const rules = authorizationServerRules(
      document,
      issuer,
      scopes,
      scopesFrom,
      'the issuer named in authorization_servers',
    );
    return { results: [found, ...rules, transport(issuer, document), await jwks(http, document)], issuer, document };
  }
  const missing = fail(
    'as.metadata',
    `no metadata for ${issuer}: ${tried.join(', ')}`,
    `Publish the issuer's metadata at ${authorizationServerMetadataUrls(issuer)[0]} (RFC 8414) or its OpenID configuration, and make authorization_servers name the issuer exactly (OIDC_ISSUER_URL or CLERK_FRONTEND_API_URL).`,
  );
  return { results: [missing, ...LATER_CHECKS.map((id) => skip(id, 'no authorization-server metadata'))], issuer };
}

const ENDPOINT_FIELDS = ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'jwks_uri'];

function transport(issuer: string, document: AuthorizationServerDocument): CheckResult {
  const urls = [
    issuer,
    ...ENDPOINT_FIELDS.map((field) => document[field]).filter((value): value is string => typeof value === 'string'),
  ];
  const insecure = urls.filter((url) => !isSecureEnough(url));
  if (insecure.length === 0)
    return ok(
      'as.https',
      urls.every((url) => url.startsWith('https:'))
        ? 'issuer and endpoints use https'
        : 'plain http on loopback only (local development)',
    );
  return fail(
    'as.https',
    `plain http: ${insecure.join(', ')}`,
    'Serve the authorization server and every endpoint in its metadata over https; plain http is only for loopback.',
  );
}

async function jwks(http: DoctorHttp, document: AuthorizationServerDocument): Promise<CheckResult> {
  const url = document.jwks_uri;
  if (typeof url !== 'string')
    return ok('as.jwks', 'no jwks_uri (tokens must then be verified another way, e.g. introspection)');
  const answer = await http.attempt(url, { headers: { Accept: 'application/json' } });
  const fix = `Make ${url} reachable and publish the signing keys there; resource servers verify tokens with them.`;
  if (answer instanceof NoAnswerError) return fail('as.jwks', answer.message, fix);
  const keys = answer.status === 200 ? jsonObject(answer.body)?.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0)
    return fail('as.jwks', `GET ${url} answered ${answer.status} without keys`, fix);
  return ok('as.jwks', `${keys.length} key${keys.length === 1 ? '' : 's'} at ${url}`);
}
