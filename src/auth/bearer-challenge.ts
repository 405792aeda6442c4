import type { BearerErrorCode } from '../errors/errors.js';

export interface BearerChallenge {
  resourceMetadataUrl: string;
  scopes: readonly string[];
  error?: BearerErrorCode;
  errorDescription?: string;
}

/** RFC 6750 §3 allows only these characters inside error_description. */
const sanitizeDescription = (text: string): string => text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, ' ');

/** RFC 7230 quoted-string: backslash-escape quotes and backslashes. */
const quote = (value: string): string => `"${value.replace(/["\\]/g, (match) => `\\${match}`)}"`;

/** Formats one `WWW-Authenticate: Bearer ...` challenge: resource_metadata first, then scope, then the error. */
export function formatBearerChallenge(challenge: BearerChallenge): string {
  const scope = challenge.scopes.length > 0 ? `, scope=${quote(challenge.scopes.join(' '))}` : '';
  const withoutError = `Bearer resource_metadata=${quote(challenge.resourceMetadataUrl)}${scope}`;
  return challenge.error ? withBearerError(withoutError, challenge.error, challenge.errorDescription) : withoutError;
}

/**
 * Appends the error parameters to a challenge formatted without them, so that the part that depends on
 * configuration only (resource_metadata and scope) can be formatted once and reused for every refusal.
 */
export function withBearerError(challenge: string, error: BearerErrorCode, errorDescription?: string): string {
  const description = errorDescription ? `, error_description=${quote(sanitizeDescription(errorDescription))}` : '';
  return `${challenge}, error=${quote(error)}${description}`;
}
