import { asObject, NoAnswerError, type DoctorHttp } from '../http.js';
import { fail, ok, skip, warn, type CheckResult } from '../report.js';
import {
  anyJsonRpcError,
  initializeRequest,
  jsonRpcAnswer,
  legacyNotification,
  legacyRequest,
  LEGACY_VERSION,
  modernRequest,
  MODERN_VERSION,
  type JsonRpcAnswer,
  type McpRequest,
} from './mcp-messages.js';

/** One JSON-RPC exchange: the answer with this id, or why there is none. */
type Exchange =
  { answer: JsonRpcAnswer; status: number; sessionId: string | null } | { problem: string; status?: number };

async function exchange(
  http: DoctorHttp,
  url: string,
  token: string,
  id: number | string,
  request: McpRequest,
  sessionId?: string | null,
): Promise<Exchange> {
  const headers = {
    ...request.headers,
    Authorization: `Bearer ${token}`,
    ...(sessionId ? { 'Mcp-Session-Id': sessionId } : {}),
  };
  const answer = await http.attempt(url, { method: 'POST', headers, body: request.body });
  if (answer instanceof NoAnswerError) return { problem: answer.message };
  const parsed = jsonRpcAnswer(answer.headers.get('content-type'), answer.body, id);
  if (parsed) return { answer: parsed, status: answer.status, sessionId: answer.headers.get('mcp-session-id') };
  const rpcError = anyJsonRpcError(answer.body);
  return {
    problem: `HTTP ${answer.status}${rpcError ? ` (${rpcError})` : ' without a JSON-RPC answer'}`,
    status: answer.status,
  };
}

const describeExchange = (step: string, result: Exchange): string =>
  'problem' in result
    ? `${step}: ${result.problem}`
    : `${step}: JSON-RPC error ${result.answer.error?.code} ${result.answer.error?.message}`;

/** A tool the doctor can call without knowing anything about it: one that requires no arguments. */
function callableTool(tools: unknown[]): string | undefined {
  for (const tool of tools.map(asObject)) {
    const required = asObject(tool?.inputSchema)?.required;
    if (typeof tool?.name === 'string' && (!Array.isArray(required) || required.length === 0)) return tool.name;
  }
  return undefined;
}

const CALL_FIX = 'Check the server log for this call; a signed-in client must be able to list and call tools.';

/** tools/list and one tools/call, the part both eras share once the connection is set up. */
async function listAndCall(
  era: string,
  send: (id: number, method: string, params: Record<string, unknown>) => Promise<Exchange>,
  opened: string,
): Promise<CheckResult[]> {
  const listId = `sign-in.${era}.tools-list`;
  const callId = `sign-in.${era}.tools-call`;
  const listed = await send(2, 'tools/list', {});
  if ('problem' in listed || listed.answer.error)
    return [fail(listId, describeExchange('tools/list', listed), CALL_FIX), skip(callId, 'no tool list')];
  const tools = Array.isArray(listed.answer.result?.tools) ? listed.answer.result.tools : [];
  const names = tools.map((tool) => String(asObject(tool)?.name));
  const results = [
    ok(listId, `${opened}; tools/list: ${tools.length} tool${tools.length === 1 ? '' : 's'} (${names.join(', ')})`),
  ];
  const name = callableTool(tools);
  if (!name) return [...results, skip(callId, 'no tool without required arguments to call')];
  const called = await send(3, 'tools/call', { name, arguments: {} });
  if ('problem' in called || called.answer.error)
    return [...results, fail(callId, describeExchange(`tools/call ${name}`, called), CALL_FIX)];
  if (called.answer.result?.isError === true)
    return [...results, fail(callId, `tools/call ${name} answered a result with isError: true`, CALL_FIX)];
  return [...results, ok(callId, `tools/call ${name} answered a result`)];
}

/** 2025-11-25: initialize, initialized, then the calls, with the session if the server keeps one. */
export async function checkLegacyEra(http: DoctorHttp, url: string, token: string): Promise<CheckResult[]> {
  const era = LEGACY_VERSION;
  const initialize = await exchange(http, url, token, 1, initializeRequest(1));
  if ('problem' in initialize || initialize.answer.error)
    return [
      fail(`sign-in.${era}.tools-list`, describeExchange('initialize', initialize), CALL_FIX),
      skip(`sign-in.${era}.tools-call`, 'not initialized'),
    ];
  const offered = initialize.answer.result?.protocolVersion;
  const negotiated = typeof offered === 'string' ? offered : LEGACY_VERSION;
  const sessionId = initialize.sessionId;
  const session = { Authorization: `Bearer ${token}`, ...(sessionId ? { 'Mcp-Session-Id': sessionId } : {}) };
  const initialized = legacyNotification('notifications/initialized', negotiated);
  await http.attempt(url, { method: 'POST', headers: { ...initialized.headers, ...session }, body: initialized.body });
  const send = (id: number, method: string, params: Record<string, unknown>): Promise<Exchange> =>
    exchange(http, url, token, id, legacyRequest(id, method, params, negotiated), sessionId);
  const results = await listAndCall(era, send, `initialize negotiated ${negotiated}`);
  // Stateful servers keep the session until it idles out; say goodbye instead.
  if (sessionId)
    await http.attempt(url, { method: 'DELETE', headers: { ...session, 'MCP-Protocol-Version': negotiated } });
  return results;
}

/**
 * How a server without 2026-07-28 answers a modern request: JSON-RPC method not found or
 * unsupported protocol version, or (SDK 1.x transports) an HTTP 400 about the protocol version.
 */
function eraUnsupported(discover: Exchange): boolean {
  if ('answer' in discover) return discover.answer.error?.code === -32601 || discover.answer.error?.code === -32022;
  return discover.status === 400 && /-32601|-32022|protocol version/i.test(discover.problem);
}

/**
 * 2026-07-28: no initialize and no session; server/discover, then every request carries the
 * envelope and its headers.
 */
export async function checkModernEra(http: DoctorHttp, url: string, token: string): Promise<CheckResult[]> {
  const era = MODERN_VERSION;
  const listId = `sign-in.${era}.tools-list`;
  const unsupported = (seen: string): CheckResult[] => [
    warn(
      listId,
      seen,
      'Update the server to support MCP 2026-07-28; ChatGPT and Claude open with it and fall back to 2025-11-25 for now.',
    ),
    skip(`sign-in.${era}.tools-call`, 'era not supported'),
  ];
  const discover = await exchange(http, url, token, 1, modernRequest(1, 'server/discover'));
  if (eraUnsupported(discover))
    return unsupported(`2026-07-28 is not supported: ${describeExchange('server/discover', discover)}`);
  if ('problem' in discover || discover.answer.error)
    return [
      fail(listId, describeExchange('server/discover', discover), CALL_FIX),
      skip(`sign-in.${era}.tools-call`, 'no discovery'),
    ];
  const versions = discover.answer.result?.supportedVersions;
  if (Array.isArray(versions) && !versions.includes(MODERN_VERSION))
    return unsupported(`server/discover lists ${versions.join(', ')}, not ${MODERN_VERSION}`);
  return listAndCall(
    era,
    (id, method, params) => exchange(http, url, token, id, modernRequest(id, method, params)),
    'server/discover answered',
  );
}
