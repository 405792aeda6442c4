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
  const params = [`resource_metadata=${quote(challenge.resourceMetadataUrl)}`];
  if (challenge.scopes.length > 0) params.push(`scope=${quote(challenge.scopes.join(' '))}`);
  if (challenge.error) {
    params.push(`error=${quote(challenge.error)}`);
    if (challenge.errorDescription)
      params.push(`error_description=${quote(sanitizeDescription(challenge.errorDescription))}`);
  }
  return `Bearer ${params.join(', ')}`;
}
