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
 * The JSON body parser's `type` test: which requests it reads. It leaves alone a POST to the MCP
 * endpoint that the bearer guard refuses whatever its body says (no bearer credentials in
 * `required` mode, or malformed ones), so a client without a token gets its 401, or the 429 or 403
 * of the guards ahead, without the server first buffering and parsing up to BODY_LIMIT_BYTES: under
 * an anonymous flood of large bodies that parsing was most of the heap. Node discards the unread
 * body once the answer is sent. A body declared larger than the limit still goes to the parser,
 * which discards it without keeping it and answers 413, as before.
 */
export function jsonBodyWanted(config: BodyReadingRules): (message: IncomingMessage) => boolean {
  const mcpPaths = new Set([config.mcpPath, `${config.mcpPath}/`]);
  return (message) => {
    // body-parser types its test with Node's request; as Express middleware it is given Express's.
    const request = message as Request;
    if (!request.is('application/json')) return false;
    if (request.method !== 'POST' || !mcpPaths.has(request.path)) return true;
    if (Number(request.headers['content-length']) > config.bodyLimitBytes) return true;
    return !refusedWhateverTheBody(request, config);
  };
}

function refusedWhateverTheBody(request: Request, config: BodyReadingRules): boolean {
  try {
    return config.authMode === 'required' && extractBearerToken(request) === undefined;
  } catch {
    // Credentials the guard answers with 400 invalid_request before it could look at a body.
    return true;
  }
}
