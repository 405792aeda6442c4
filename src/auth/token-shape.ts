import { hash } from 'node:crypto';

export type TokenShape = 'jwt' | 'opaque' | 'unknown';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Clerk's opaque tokens start with `oat_`; a JWT is three base64url segments (the last empty when unsigned). */
export function tokenShapeOf(token: string): TokenShape {
  if (token.startsWith('oat_')) return 'opaque';
  return JWT_SHAPE.test(token) ? 'jwt' : 'unknown';
}

/**
 * What caches of verified tokens are keyed by, so the token itself is never kept. Computed on every
 * authenticated request: the one-shot `hash` costs about a third of a `createHash` object's round trip.
 */
export function tokenCacheKey(token: string): string {
  return hash('sha256', token, 'base64url');
}
