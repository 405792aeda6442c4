/** A JSON-RPC request whose params, if any, carry no `_meta`. */
export interface PlainJsonRpcRequest {
  jsonrpc: '2.0';
  id: string | number;
  method: string;
  params?: Record<string, unknown>;
}

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether a parsed body is a JSON-RPC request in exactly the shape both SDKs' zod schemas accept
 * (`JSONRPCRequestSchema`: these keys and no others, `jsonrpc` "2.0", a string or safe-integer id,
 * a string method, params an object), narrowed further to params without `_meta`, whose schema
 * has rules of its own. Such a body passes those schemas unchanged: what they would prove with a
 * zod parse per request (several, as they try the other message kinds first) is proved here with a
 * few comparisons. Unit tests hold it to both SDKs' schemas over a corpus of bodies.
 */
export function isPlainJsonRpcRequest(body: unknown): body is PlainJsonRpcRequest {
  if (!isPlainObject(body) || body.jsonrpc !== '2.0' || typeof body.method !== 'string') return false;
  const { id, params } = body;
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return false;
  for (const key in body) if (!REQUEST_KEYS.has(key)) return false;
  return params === undefined || (isPlainObject(params) && params._meta === undefined);
}
