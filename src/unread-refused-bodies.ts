import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { extractBearerToken } from './auth/bearer-token.js';
import type { AuthMode } from './config/environment.js';

/** What the test needs to know: the MCP path, the body limit, and whether a token is required. */
export interface BodyReadingRules {
  mcpPath: string;
  bodyLimitBytes: number;
  authMode: AuthMode;
}

/**
 * `application/json`, alone or with `charset=utf-8` (in any case, the value quoted or not): what MCP
 * clients send, and nothing that body-parser would read differently.
 */
const PLAIN_JSON = /^application\/json(?: *; *charset=(?:utf-8|"utf-8"))?$/i;

/**
 * A JSON body in UTF-8, sent as it is: the bodies the MCP endpoint reads itself
 * (mcp/json-body.middleware.ts). Other charsets and content encodings are rare there; they stay with
 * body-parser, which answers them as it always has (UTF-16 decoded and other charsets refused with
 * 415; gzip, deflate, br and zstd inflated and other encodings refused with 415).
 */
export function isPlainJsonBody(request: IncomingMessage): boolean {
  const contentType = request.headers['content-type'];
  if (contentType === undefined || !PLAIN_JSON.test(contentType)) return false;
  const encoding = request.headers['content-encoding'];
  return encoding === undefined || encoding.toLowerCase() === 'identity';
}

/**
 * The JSON body parser's `type` test: which requests it reads. A POST to the MCP endpoint in plain
 * JSON is left to the endpoint's own reader. Of the others, it leaves alone a POST to the MCP
 * endpoint that the bearer guard refuses whatever its body says (see {@link refusedWhateverTheBody}),
 * so a client without a token gets its 401, or the 429 or 403 of the guards ahead, without the server
 * first buffering and parsing up to BODY_LIMIT_BYTES: under an anonymous flood of large bodies that
 * parsing was most of the heap. Node discards the unread body once the answer is sent. A body
 * declared larger than the limit still goes to the parser, which discards it without keeping it and
 * answers 413, as before.
 */
export function jsonBodyWanted(config: BodyReadingRules): (message: IncomingMessage) => boolean {
  const mcpPaths = new Set([config.mcpPath, `${config.mcpPath}/`]);
  return (message) => {
    // body-parser types its test with Node's request; as Express middleware it is given Express's.
    const request = message as Request;
    const forMcp = request.method === 'POST' && mcpPaths.has(request.path);
    if (forMcp && isPlainJsonBody(request)) return false;
    if (!request.is('application/json')) return false;
    if (!forMcp) return true;
    if (Number(request.headers['content-length']) > config.bodyLimitBytes) return true;
    return !refusedWhateverTheBody(request, config.authMode);
  };
}

/**
 * Whether the bearer guard refuses the request whatever its body says: no bearer credentials in
 * `required` mode, or malformed ones (answered with 400 invalid_request) in either mode.
 */
export function refusedWhateverTheBody(request: Request, authMode: AuthMode): boolean {
  try {
    return extractBearerToken(request) === undefined && authMode === 'required';
  } catch {
    return true;
  }
}

/** Any Content-Type that could name a form; type-is decides, but only for these. */
const MAYBE_FORM = /urlencoded/i;

/**
 * The urlencoded parser's `type` test: what body-parser's own test decides (type-is), asked only of
 * requests whose Content-Type mentions a form at all, instead of of every request with a body.
 */
export function formBodyWanted(message: IncomingMessage): boolean {
  const contentType = message.headers['content-type'];
  return contentType !== undefined && MAYBE_FORM.test(contentType) && Boolean((message as Request).is('urlencoded'));
}
