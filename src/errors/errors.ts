/**
 * Errors the application raises on purpose. {@link HttpErrorFilter} is the one place that turns them
 * into HTTP answers.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;

  /**
   * These are answers, not faults of ours: nothing ever shows their stack, and capturing one was
   * the most expensive part of refusing a request (a flood of bad tokens pays it on every one).
   */
  constructor(message?: string) {
    const stackFrames = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackFrames;
  }
}

/** The RFC 6750 error codes a bearer challenge carries; `undefined` when no credentials were sent (RFC 6750 §3.1). */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** Why a token was refused, for logs and metrics; the client sees only the RFC 6750 code. */
export type ChallengeReason = 'missing' | 'malformed' | 'invalid' | 'expired' | 'audience' | 'scope';

/** A refusal that answers with `WWW-Authenticate: Bearer ...` pointing at our protected-resource metadata. */
export class BearerChallengeError extends AppError {
  readonly status: number;

  private constructor(
    readonly code: BearerErrorCode | undefined,
    message: string,
    readonly reason: ChallengeReason,
    /** Scopes the client should ask for; the configured baseline when empty. */
    readonly scopes: readonly string[] = [],
  ) {
    super(message);
    this.name = 'BearerChallengeError';
    this.status = code === 'invalid_request' ? 400 : code === 'insufficient_scope' ? 403 : 401;
  }

  /** The same for every request, so built once; nothing changes a thrown error (all its fields are read-only). */
  private static readonly MISSING_TOKEN = new BearerChallengeError(
    undefined,
    'A bearer access token is required.',
    'missing',
  );

  static missingToken(): BearerChallengeError {
    return BearerChallengeError.MISSING_TOKEN;
  }

  static invalidRequest(description: string): BearerChallengeError {
    return new BearerChallengeError('invalid_request', description, 'malformed');
  }

  static invalidToken(
    description: string,
    reason: 'invalid' | 'expired' | 'audience' = 'invalid',
  ): BearerChallengeError {
    return new BearerChallengeError('invalid_token', description, reason);
  }

  static insufficientScope(description: string, requiredScopes: readonly string[]): BearerChallengeError {
    return new BearerChallengeError('insufficient_scope', description, 'scope', requiredScopes);
  }
}

/** An upstream we depend on (Clerk, an issuer) did not answer usefully; the client should retry, not sign in again. */
export class UpstreamUnavailableError extends AppError {
  readonly status = 503;

  constructor(
    readonly upstream: string,
    message: string,
    readonly timedOut = false,
    /** Known only when we decide when to ask again (the signing keys' cooldown); else the configured delay. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'UpstreamUnavailableError';
  }
}

/** Authorization-server metadata could not be obtained and no earlier copy exists. */
export class UpstreamMetadataError extends AppError {
  readonly status = 502;

  constructor(message: string) {
    super(message);
    this.name = 'UpstreamMetadataError';
  }
}

/** A request the MCP endpoint cannot take, answered as a JSON-RPC error without an id. */
export class JsonRpcHttpError extends AppError {
  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'JsonRpcHttpError';
  }
}

/** A well-known or other route that does not exist, answered as JSON rather than HTML. */
export class NotFoundError extends AppError {
  readonly status = 404;
}

/** Readiness failed; the answer is the health report itself, so the operator sees which check is down. */
export class NotReadyError extends AppError {
  readonly status = 503;

  constructor(readonly report: object) {
    super('The server is not ready to take traffic.');
    this.name = 'NotReadyError';
  }
}
