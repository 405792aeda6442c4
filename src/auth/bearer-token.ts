import type { Request } from 'express';
import { BearerChallengeError } from '../errors/errors.js';

/** RFC 6750 §2.1 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const ANY_SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?: |$)/;

const headerOnly = (): BearerChallengeError =>
  BearerChallengeError.invalidRequest(
    'Access tokens are accepted only in the Authorization header, never in the URL or the request body.',
  );

/** What {@link extractBearerToken} found for a request: a token, no credentials, or the refusal it threw. */
type Extraction = { token: string | undefined } | { refusal: BearerChallengeError };

const EXTRACTION = Symbol('bearer token extraction');
type ExtractingRequest = Request & { [EXTRACTION]?: Extraction };

/**
 * Whether the query may name `access_token`. Express parses the query string anew on every read of
 * `request.query`; most URLs have no query at all. A key may be percent-encoded (`access%5Ftoken`),
 * so a query with any `%` is parsed too.
 */
function queryMayCarryToken(url: string): boolean {
  const start = url.indexOf('?');
  return start >= 0 && (url.includes('access_token', start) || url.includes('%', start));
}

function hasQueryToken(request: Request): boolean {
  return queryMayCarryToken(request.url) && Object.prototype.hasOwnProperty.call(request.query, 'access_token');
}

/** The body is looked at first: matching the content type is the dearer test, and rarely needed. */
function hasFormBodyToken(request: Request): boolean {
  const body: unknown = request.body;
  return (
    typeof body === 'object' &&
    body !== null &&
    'access_token' in body &&
    Boolean(request.is('application/x-www-form-urlencoded'))
  );
}

/**
 * Whether what {@link readBearerToken} finds for the request can no longer change. The URL and the
 * headers never do; the body is looked at only when it is a form, and is parsed once, by the
 * urlencoded parser ahead of every route. So the answer is final once a body has been parsed, or when
 * the request cannot carry a form body at all: the body-reading decisions call this before the form
 * parser has run, for JSON requests only, and must not fix a form request's answer too early.
 */
function extractionIsFinal(request: Request): boolean {
  return request.body !== undefined || !request.headers['content-type']?.toLowerCase().includes('urlencoded');
}

function authorizationHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2)
    if (rawHeaders[index].length === 13 && rawHeaders[index].toLowerCase() === 'authorization') count += 1;
  return count;
}

function readBearerToken(request: Request): string | undefined {
  if (hasQueryToken(request)) throw headerOnly();
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

/**
 * Reads the bearer token from the Authorization header, and only there (RFC 6750 §2.1; MCP
 * forbids tokens in the query). Returns undefined when no bearer credentials were sent at all.
 * Both the decision whether to read a body and the bearer guard ask; the answer, or the refusal,
 * is kept on the request once it is final, so the second asks nothing again.
 */
export function extractBearerToken(request: Request): string | undefined {
  const extracting = request as ExtractingRequest;
  let extraction = extracting[EXTRACTION];
  if (extraction === undefined) {
    try {
      extraction = { token: readBearerToken(request) };
    } catch (error) {
      if (!(error instanceof BearerChallengeError)) throw error;
      extraction = { refusal: error };
    }
    if (extractionIsFinal(request)) extracting[EXTRACTION] = extraction;
  }
  if ('refusal' in extraction) throw extraction.refusal;
  return extraction.token;
}
