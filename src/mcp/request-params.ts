import type { Request } from 'express';
import type { ProtocolEra } from '../metrics/request-protocol.js';
import { isPlainObject } from './plain-json-rpc-request.js';
import { sdkVerdict, type ClassifiedMcpRequest } from './protocol-eras.js';

/**
 * The shape checks the SDKs' zod schemas make on the params of the requests this server answers,
 * made first and said in a few words. Left to the SDKs, a refusal is -32603 (SDK 1.x) or -32602
 * (SDK 2.x) with zod's whole issue list as the message, which tells a client nothing useful and
 * shows it our validator's internals. Arguments themselves are checked later, against each tool's
 * schema, by the registry.
 */

type Params = Record<string, unknown>;

const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

/**
 * What is wrong with the params of each method, or undefined. Methods not listed are answered by the
 * SDKs; `initialize` exists only in the 2025 era (the modern one answers it with -32601).
 */
const METHOD_PARAMS: Record<string, ((params: Params) => string | undefined) | undefined> = {
  'tools/call': ({ name, arguments: args }) => {
    if (typeof name !== 'string') return "tools/call needs params.name, the tool's name as a string.";
    return args === undefined || isPlainObject(args) ? undefined : 'tools/call takes params.arguments as an object.';
  },
  'tools/list': ({ cursor }) => (isOptionalString(cursor) ? undefined : 'tools/list takes params.cursor as a string.'),
  initialize: ({ protocolVersion, capabilities, clientInfo }) =>
    typeof protocolVersion === 'string' &&
    isPlainObject(capabilities) &&
    isPlainObject(clientInfo) &&
    typeof clientInfo.name === 'string' &&
    typeof clientInfo.version === 'string'
      ? undefined
      : 'initialize needs params.protocolVersion (a string), params.capabilities and params.clientInfo (name and version).',
};

/** The problem with one JSON-RPC request's params, or undefined; notifications and responses are not checked. */
export function paramsProblem(message: unknown, era: ProtocolEra): string | undefined {
  if (!isPlainObject(message) || typeof message.method !== 'string' || message.id === undefined) return undefined;
  const { method, params = {} } = message;
  if (era === 'modern' && method === 'initialize') return undefined;
  if (!isPlainObject(params)) return `Invalid params: ${method} takes its params as an object.`;
  const meta = params._meta;
  if (meta !== undefined && !isPlainObject(meta)) return 'Invalid params: params._meta must be an object.';
  const progressToken = meta?.progressToken;
  if (progressToken !== undefined && typeof progressToken !== 'string' && typeof progressToken !== 'number')
    return 'Invalid params: params._meta.progressToken must be a string or a number.';
  const problem = METHOD_PARAMS[method]?.(params);
  return problem === undefined ? undefined : `Invalid params: ${problem}`;
}

/** The first params problem among a body's messages (one, or a batch), or undefined. */
export function firstParamsProblem(body: unknown, era: ProtocolEra): string | undefined {
  if (!Array.isArray(body)) return paramsProblem(body, era);
  for (const message of body) {
    const problem = paramsProblem(message, era);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * The params problem the endpoint answers itself, before anything else is decided about the request
 * (scopes included); none for a request the SDK's classifier refuses outright, whose own answer comes
 * first. The classifier is asked here only if it was not already, and only when there is a problem.
 */
export function paramsProblemAnsweredFirst(
  request: Request,
  body: unknown,
  classified: ClassifiedMcpRequest,
): string | undefined {
  const problem = firstParamsProblem(body, classified.era);
  if (problem === undefined) return undefined;
  return (classified.outcome ?? sdkVerdict(request, body)).kind === 'reject' ? undefined : problem;
}
