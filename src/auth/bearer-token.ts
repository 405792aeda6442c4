import type { Request } from 'express';
import { BearerChallengeError } from '../errors/errors.js';

/** RFC 6750 §2.1 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const ANY_SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?: |$)/;

const headerOnly = (): BearerChallengeError =>
  BearerChallengeError.invalidRequest(
    'Access tokens are accepted only in the Authorization header, never in the URL or the request body.',
  );

function hasFormBodyToken(request: Request): boolean {
  if (!request.is('application/x-www-form-urlencoded')) return false;
  const body: unknown = request.body;
  return typeof body === 'object' && body !== null && 'access_token' in body;
}

function authorizationHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2)
    if (rawHeaders[index].length === 13 && rawHeaders[index].toLowerCase() === 'authorization') count += 1;
  return count;
}

/**
 * Reads the bearer token from the Authorization header, and only there (RFC 6750 §2.1; MCP
 * forbids tokens in the query). Returns undefined when no bearer credentials were sent at all.
 */
export function extractBearerToken(request: Request): string | undefined {
  if (request.query && Object.prototype.hasOwnProperty.call(request.query, 'access_token')) throw headerOnly();
  if (hasFormBodyToken(request)) throw headerOnly();
  if (authorizationHeaderCount(request.rawHeaders) > 1)
    throw BearerChallengeError.invalidRequest('Send exactly one Authorization header.');
  const header = request.headers.authorization?.trim();
  if (!header) return undefined;
  const scheme = ANY_SCHEME.exec(header)?.[1];
  if (!scheme || scheme.toLowerCase() !== 'bearer') return undefined;
  const match = BEARER.exec(header);
  if (!match)
    throw BearerChallengeError.invalidRequest(
      'The Authorization header must be "Bearer <token>" with exactly one token.',
    );
  return match[1];
}
