import { NoAnswerError, isSecureEnough, type DoctorHttp, type HttpAnswer } from '../http.js';
import { fail, ok, skip, warn, type CheckResult } from '../report.js';
import { bearerChallenge, type ParsedChallenge } from './bearer-challenge.js';
import { anyJsonRpcError, initializeRequest, modernRequest } from './mcp-messages.js';

export interface EndpointFindings {
  results: CheckResult[];
  challenge?: ParsedChallenge;
  /** The challenge's scopes, split. */
  challengeScopes?: string[];
}

export const REACHABLE_FIX =
  'Check the URL, DNS and that the server is running and reachable from where clients connect.';

const HOST_FIX =
  'Set PUBLIC_BASE_URL (or ALLOWED_HOSTS) to the host clients use, and behind a proxy pass the original Host header on (nginx: proxy_set_header Host $host) with TRUSTED_PROXIES set.';

export function checkTransport(url: string): CheckResult {
  if (new URL(url).protocol === 'https:') return ok('endpoint.https', 'https');
  if (isSecureEnough(url)) return ok('endpoint.https', 'plain http on a loopback address (local development)');
  return fail(
    'endpoint.https',
    `plain http to ${new URL(url).host}`,
    'Serve the MCP endpoint over https and set PUBLIC_BASE_URL to its https URL; plain http is only for loopback.',
  );
}

/**
 * What a client's first request meets: a 401 whose Bearer challenge says where the metadata is
 * and which scopes to ask for.
 */
export async function checkUnauthenticatedRequest(http: DoctorHttp, url: string): Promise<EndpointFindings> {
  const initialize = initializeRequest(1);
  const answer = await http.attempt(url, { method: 'POST', ...initialize });
  if (answer instanceof NoAnswerError)
    return { results: [fail('endpoint.unauthenticated', answer.message, REACHABLE_FIX), ...skipChallenge()] };
  const status = unauthenticatedStatus(url, answer);
  if (status.status !== 'ok') return { results: [status, ...skipChallenge()] };
  return {
    results: [status, ...challengeChecks(answer.headers.get('www-authenticate'))],
    ...challengeOf(answer.headers.get('www-authenticate')),
  };
}

function unauthenticatedStatus(url: string, answer: HttpAnswer): CheckResult {
  const id = 'endpoint.unauthenticated';
  const seen = `POST ${url} without a token answered ${answer.status}`;
  if (answer.status === 401) return ok(id, seen);
  if (answer.status >= 200 && answer.status < 300)
    return warn(
      id,
      `${seen}: anonymous use is allowed (mixed auth)`,
      'Set MCP_AUTH_MODE=required unless tools are meant to work before sign-in; clients only offer sign-in after a 401 or a tool-level challenge.',
    );
  if (answer.status >= 300 && answer.status < 400)
    return fail(
      id,
      `${seen}, a redirect to ${answer.headers.get('location') ?? '(no Location)'}`,
      'Give clients the exact MCP URL (PUBLIC_BASE_URL + MCP_PATH); clients do not follow redirects on POST.',
    );
  const rpcError = anyJsonRpcError(answer.body);
  if (answer.status === 403) return fail(id, `${seen}${rpcError ? ` (${rpcError})` : ''}`, HOST_FIX);
  if (answer.status === 404)
    return fail(
      id,
      seen,
      'Check the URL: the MCP endpoint is PUBLIC_BASE_URL + MCP_PATH (default /mcp), and the proxy must route that path to the server.',
    );
  return fail(
    id,
    `${seen}${rpcError ? ` (${rpcError})` : ''}, not 401`,
    'Answer a request without a token with 401 and a WWW-Authenticate: Bearer challenge.',
  );
}

function challengeOf(header: string | null): Pick<EndpointFindings, 'challenge' | 'challengeScopes'> {
  const challenge = bearerChallenge(header);
  return { challenge, challengeScopes: challenge?.params.scope?.split(' ').filter(Boolean) };
}

const CHALLENGE_CHECKS = ['endpoint.challenge', 'endpoint.resource-metadata', 'endpoint.challenge-scope'];
const skipChallenge = (): CheckResult[] => CHALLENGE_CHECKS.map((id) => skip(id, 'no 401 to read a challenge from'));

function challengeChecks(header: string | null): CheckResult[] {
  const challenge = bearerChallenge(header);
  if (!challenge) {
    const seen =
      header === null
        ? 'the 401 has no WWW-Authenticate header'
        : `WWW-Authenticate ${JSON.stringify(header)} has no Bearer challenge that parses`;
    const fix =
      'Send WWW-Authenticate: Bearer resource_metadata="<absolute metadata URL>", scope="<scopes>" with every 401, and make sure no proxy drops or rewrites it.';
    return [
      fail('endpoint.challenge', seen, fix),
      ...CHALLENGE_CHECKS.slice(1).map((id) => skip(id, 'no Bearer challenge')),
    ];
  }
  const named = Object.keys(challenge.params);
  const results = [
    ok('endpoint.challenge', `Bearer challenge with ${named.length > 0 ? named.join(', ') : 'no parameters'}`),
  ];
  const metadataUrl = challenge.params.resource_metadata;
  if (metadataUrl === undefined)
    results.push(
      warn(
        'endpoint.resource-metadata',
        'the challenge has no resource_metadata',
        'Add resource_metadata="<absolute URL of the protected-resource metadata>" to the challenge: ChatGPT and Claude look there first.',
      ),
    );
  else if (!URL.canParse(metadataUrl) || !/^https?:$/.test(new URL(metadataUrl).protocol))
    results.push(
      fail(
        'endpoint.resource-metadata',
        `resource_metadata ${JSON.stringify(metadataUrl)} is not an absolute URL`,
        'Make resource_metadata an absolute https URL; for this server, set PUBLIC_BASE_URL to the origin clients use.',
      ),
    );
  else results.push(ok('endpoint.resource-metadata', `resource_metadata ${metadataUrl}`));
  const scope = challenge.params.scope;
  if (scope === undefined || scope.trim() === '')
    results.push(
      warn(
        'endpoint.challenge-scope',
        'the challenge has no scope',
        'Put the scopes a client needs in the challenge (scope="..."; MCP_SCOPES for this server) so clients ask for the right ones.',
      ),
    );
  else results.push(ok('endpoint.challenge-scope', `scope="${scope}"`));
  return results;
}

/**
 * ChatGPT and Claude open with a 2026-07-28 `server/discover` and fall back to 2025-11-25 on a
 * 401, a result, or JSON-RPC -32601; a 400 makes some of them give up.
 */
export async function checkModernProbe(http: DoctorHttp, url: string): Promise<CheckResult> {
  const id = 'endpoint.modern-probe';
  const answer = await http.attempt(url, { method: 'POST', ...modernRequest('doctor-discover', 'server/discover') });
  if (answer instanceof NoAnswerError) return fail(id, answer.message, REACHABLE_FIX);
  const seen = `2026-07-28 server/discover without a token answered ${answer.status}`;
  const rpcError = anyJsonRpcError(answer.body);
  if (answer.status === 400)
    return fail(
      id,
      `${seen}${rpcError ? ` (${rpcError})` : ''}`,
      'Answer the 2026-07-28 probe with 401, a result or JSON-RPC -32601 instead of 400: update the server (its MCP SDK) and check that no proxy rejects MCP-Protocol-Version or Mcp-Method headers.',
    );
  if (answer.status === 401 || (answer.status >= 200 && answer.status < 300)) return ok(id, seen);
  return warn(
    id,
    `${seen}${rpcError ? ` (${rpcError})` : ''}`,
    'Answer a 2026-07-28 request without a token with 401, as a 2025-11-25 one.',
  );
}

const CHATGPT_ORIGIN = 'https://chatgpt.com';
const PREFLIGHT_HEADERS = ['authorization', 'content-type', 'mcp-protocol-version', 'mcp-method', 'mcp-name'];

/** A browser-based client's preflight: allowed without a token, for the origin and the headers MCP uses. */
export async function checkPreflight(http: DoctorHttp, url: string): Promise<CheckResult> {
  const id = 'cors.preflight';
  const headers = {
    Origin: CHATGPT_ORIGIN,
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': PREFLIGHT_HEADERS.join(','),
  };
  const answer = await http.attempt(url, { method: 'OPTIONS', headers });
  if (answer instanceof NoAnswerError) return fail(id, answer.message, REACHABLE_FIX);
  const fix =
    'Answer CORS preflights (OPTIONS) before any authentication, allowing the origin and the headers Authorization, Content-Type, MCP-Protocol-Version, Mcp-Method and Mcp-Name.';
  if (answer.status < 200 || answer.status >= 300)
    return fail(id, `OPTIONS from ${CHATGPT_ORIGIN} answered ${answer.status}`, fix);
  const allowOrigin = answer.headers.get('access-control-allow-origin');
  if (allowOrigin !== '*' && allowOrigin !== CHATGPT_ORIGIN)
    return fail(
      id,
      `OPTIONS answered ${answer.status} with Access-Control-Allow-Origin ${JSON.stringify(allowOrigin)}`,
      fix,
    );
  const allowed = (answer.headers.get('access-control-allow-headers') ?? '')
    .toLowerCase()
    .split(',')
    .map((name) => name.trim());
  // "*" allows every request header except Authorization (Fetch standard).
  const missing = PREFLIGHT_HEADERS.filter(
    (name) => !allowed.includes(name) && !(allowed.includes('*') && name !== 'authorization'),
  );
  if (missing.length > 0)
    return fail(id, `OPTIONS answered ${answer.status} but does not allow ${missing.join(', ')}`, fix);
  return ok(id, `OPTIONS from ${CHATGPT_ORIGIN} answered ${answer.status} allowing the MCP headers`);
}

/** Browser clients can read the challenge only if the response exposes it. */
export async function checkExposedChallenge(http: DoctorHttp, url: string): Promise<CheckResult> {
  const id = 'cors.expose-www-authenticate';
  const initialize = initializeRequest(1);
  const answer = await http.attempt(url, {
    method: 'POST',
    headers: { ...initialize.headers, Origin: CHATGPT_ORIGIN },
    body: initialize.body,
  });
  if (answer instanceof NoAnswerError) return fail(id, answer.message, REACHABLE_FIX);
  const seen = `POST with Origin ${CHATGPT_ORIGIN} answered ${answer.status}`;
  if (answer.status === 403)
    return fail(id, seen, `Allow the origin ${CHATGPT_ORIGIN} (ALLOWED_ORIGINS for this server).`);
  const exposed = (answer.headers.get('access-control-expose-headers') ?? '')
    .toLowerCase()
    .split(',')
    .map((name) => name.trim());
  if (
    answer.headers.get('access-control-allow-origin') !== null &&
    (exposed.includes('www-authenticate') || exposed.includes('*'))
  )
    return ok(id, `${seen}, exposing WWW-Authenticate`);
  return fail(
    id,
    `${seen} without Access-Control-Expose-Headers: WWW-Authenticate`,
    'Expose the challenge to browser clients: Access-Control-Allow-Origin plus Access-Control-Expose-Headers: WWW-Authenticate.',
  );
}
