import { jsonObject, NoAnswerError, stringList, type DoctorHttp } from '../http.js';
import { fail, ok, skip, type CheckResult } from '../report.js';
import { omitsOfflineAccess } from './authorization-server-rules.js';

export interface ProtectedResourceFindings {
  results: CheckResult[];
  /** The document clients would use: the challenge's, else the path-suffixed one, else the root one. */
  document?: Record<string, unknown>;
}

/** RFC 9728 §3.1: the well-known suffix goes between the host and the path; the root form has no path. */
export function protectedResourceMetadataUrls(url: string): { pathSuffixed: string; root: string } {
  const parsed = new URL(url);
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  return {
    pathSuffixed: `${parsed.origin}/.well-known/oauth-protected-resource${path}${parsed.search}`,
    root: `${parsed.origin}/.well-known/oauth-protected-resource`,
  };
}

interface Location {
  id: string;
  url: string;
  document?: Record<string, unknown>;
}

const SERVE_FIX = (url: string): string =>
  `Serve the protected-resource metadata at ${url} for GET and HEAD without a token (clients differ in which location they read), and make sure the proxy routes /.well-known/ to the server.`;

async function fetchLocation(http: DoctorHttp, location: Location): Promise<CheckResult> {
  const get = await http.attempt(location.url, { headers: { Accept: 'application/json' } });
  if (get instanceof NoAnswerError) return fail(location.id, get.message, SERVE_FIX(location.url));
  const document = get.status === 200 ? jsonObject(get.body) : undefined;
  const contentType = get.headers.get('content-type') ?? '(none)';
  if (!document)
    return fail(
      location.id,
      `GET ${location.url} answered ${get.status} ${contentType}${get.status === 200 ? ', not a JSON object' : ''}`,
      SERVE_FIX(location.url),
    );
  location.document = document;
  const head = await http.attempt(location.url, { method: 'HEAD' });
  const headStatus = head instanceof NoAnswerError ? head.message : `HEAD ${head.status}`;
  if (head instanceof NoAnswerError || head.status !== 200)
    return fail(location.id, `GET 200 but ${headStatus} at ${location.url}`, SERVE_FIX(location.url));
  if (!contentType.startsWith('application/json'))
    return fail(
      location.id,
      `GET ${location.url} answered 200 as ${contentType}`,
      'Serve the protected-resource metadata as application/json.',
    );
  return ok(location.id, `GET and HEAD 200 application/json at ${location.url}`);
}

/**
 * The RFC 9728 document at every place a client may look: the challenge's resource_metadata,
 * the path-suffixed well-known URL and the root one. Each must answer, and each must name this
 * exact URL as its resource.
 */
export async function checkProtectedResourceMetadata(
  http: DoctorHttp,
  url: string,
  challengeUrl: string | undefined,
  challengeScopes: string[],
): Promise<ProtectedResourceFindings> {
  const { pathSuffixed, root } = protectedResourceMetadataUrls(url);
  const locations: Location[] =
    pathSuffixed === root
      ? [{ id: 'prm.root', url: root }]
      : [
          { id: 'prm.path-suffixed', url: pathSuffixed },
          { id: 'prm.root', url: root },
        ];
  if (
    challengeUrl !== undefined &&
    URL.canParse(challengeUrl) &&
    !locations.some((location) => location.url === challengeUrl)
  )
    locations.unshift({ id: 'prm.challenge-location', url: challengeUrl });
  const results: CheckResult[] = [];
  for (const location of locations) results.push(await fetchLocation(http, location));
  const found = locations.filter((location) => location.document !== undefined);
  const first =
    (locations.find((location) => location.url === challengeUrl) ?? locations[0]).document ?? found[0]?.document;
  if (!first)
    return {
      results: [
        ...results,
        ...['prm.resource', 'prm.authorization-servers', 'scopes.offline-access'].map((id) =>
          skip(id, 'no metadata document found'),
        ),
      ],
    };
  results.push(resourceMatches(url, found), authorizationServersListed(first), offlineAccess(first, challengeScopes));
  return { results, document: first };
}

function resourceMatches(url: string, found: Location[]): CheckResult {
  const wrong = found.filter((location) => location.document?.resource !== url);
  if (wrong.length === 0) return ok('prm.resource', `resource is exactly ${url}`);
  const resource = wrong[0].document?.resource;
  const seen = wrong
    .map((location) => `${location.url} says resource ${JSON.stringify(location.document?.resource)}`)
    .join('; ');
  return fail('prm.resource', `${seen}, not ${url}`, resourceFix(url, resource));
}

/** Which setting makes the advertised resource differ: the origin (base URL, proxy) or the path. */
function resourceFix(url: string, resource: unknown): string {
  const expected = new URL(url);
  const advertised = typeof resource === 'string' && URL.canParse(resource) ? new URL(resource) : undefined;
  if (advertised && advertised.origin === expected.origin)
    return `Advertise exactly the URL clients are given: set MCP_PATH to ${expected.pathname} (or give clients ${advertised.href}), minding the trailing slash.`;
  return `Set PUBLIC_BASE_URL to ${expected.origin}, the origin clients use; behind a proxy, also pass the original Host and X-Forwarded-Proto on so the server advertises the public URL.`;
}

function authorizationServersListed(document: Record<string, unknown>): CheckResult {
  const servers = stringList(document.authorization_servers) ?? [];
  if (servers.length > 0 && servers.every((server) => URL.canParse(server)))
    return ok('prm.authorization-servers', `authorization_servers ${servers.join(', ')}`);
  return fail(
    'prm.authorization-servers',
    `authorization_servers is ${JSON.stringify(document.authorization_servers ?? 'absent')}`,
    'List the issuer URL of the authorization server in authorization_servers (for this server: AUTH_PROVIDER with its issuer setting).',
  );
}

function offlineAccess(document: Record<string, unknown>, challengeScopes: string[]): CheckResult {
  const advertised = stringList(document.scopes_supported) ?? [];
  const where = advertised.includes('offline_access')
    ? 'scopes_supported'
    : challengeScopes.includes('offline_access')
      ? 'the challenge scope'
      : 'scopes_supported or the challenge scope';
  return omitsOfflineAccess([...advertised, ...challengeScopes], where);
}
