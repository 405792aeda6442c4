import { Catch, HttpException, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { formatBearerChallenge, withBearerError } from '../auth/bearer-challenge.js';
import { callerOf } from '../auth/caller.js';
import { authConfig, httpConfig, mcpConfig, serverConfig } from '../config/namespaces.js';
import { Metrics } from '../metrics/metrics.js';
import { AppError, BearerChallengeError, JsonRpcHttpError, NotReadyError, UpstreamUnavailableError } from './errors.js';

interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** What `response.json()` would have sent: the same type, the same bytes. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** An answer as it goes on the wire. */
interface SerialisedAnswer {
  status: number;
  headers: Record<string, string>;
  json: string;
  length: string;
}

const serialise = ({ status, headers, body }: ErrorAnswer): SerialisedAnswer => {
  const json = JSON.stringify(body);
  return { status, headers, json, length: String(Buffer.byteLength(json)) };
};

/**
 * The one place errors become HTTP answers: RFC 6750 challenges, JSON-RPC errors or small JSON
 * bodies, never HTML or a stack. Answers are written directly rather than through Express's
 * `res.json()`, which hashed every refusal's body for an ETag (meaningless on an uncacheable error)
 * and re-parsed its Content-Type; floods of refused requests are the path this has to be cheap on.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);
  /**
   * The challenge for a request without credentials depends on configuration only: built once, and
   * every other challenge with the configured scopes starts with it.
   */
  private readonly missingTokenChallenge: string;
  /** The whole answer to a request without credentials, serialised once. */
  private readonly missingTokenAnswer: SerialisedAnswer;

  constructor(
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
    @Inject(httpConfig.KEY) private readonly http: ConfigType<typeof httpConfig>,
    @Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    private readonly metrics: Metrics,
  ) {
    this.missingTokenChallenge = formatBearerChallenge({
      resourceMetadataUrl: server.resourceMetadataUrl,
      scopes: mcp.scopes,
    });
    this.missingTokenAnswer = serialise(this.challenge(BearerChallengeError.missingToken()));
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const answer = this.answer(exception, request);
    if (response.headersSent) {
      response.end();
      return;
    }
    response.statusCode = answer.status;
    for (const name in answer.headers) response.setHeader(name, answer.headers[name]);
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Content-Type', JSON_CONTENT_TYPE);
    response.setHeader('Content-Length', answer.length);
    // Node sends no body for HEAD, as Express did.
    response.end(answer.json);
  }

  private answer(exception: unknown, request: Request): SerialisedAnswer {
    if (exception instanceof BearerChallengeError) {
      this.metrics.authOutcome(exception.reason);
      return exception.code === undefined && exception.scopes.length === 0
        ? this.missingTokenAnswer
        : serialise(this.challenge(exception));
    }
    return serialise(this.otherAnswer(exception, request));
  }

  private otherAnswer(exception: unknown, request: Request): ErrorAnswer {
    if (exception instanceof UpstreamUnavailableError) {
      // Before the guard attached an identity, an unreachable upstream means the token could not be checked.
      if (callerOf(request) === undefined) this.metrics.authOutcome('upstream_error');
      this.logger.warn(`${exception.upstream} unavailable: ${exception.message}`);
      return {
        status: exception.status,
        // Never sooner than the keys can be fetched again: asking earlier would only be refused again.
        headers: {
          'Retry-After': String(Math.max(exception.retryAfterSeconds ?? 0, this.auth.upstreamRetryAfterSeconds)),
        },
        body: { error: 'temporarily_unavailable', error_description: exception.message },
      };
    }
    if (exception instanceof JsonRpcHttpError)
      return {
        status: exception.status,
        headers: exception.headers,
        body: { jsonrpc: '2.0', error: { code: exception.rpcCode, message: exception.message }, id: null },
      };
    if (exception instanceof NotReadyError)
      return { status: exception.status, headers: {}, body: { ...exception.report } };
    if (exception instanceof AppError)
      return {
        status: exception.status,
        headers: {},
        body: { error: errorCodeFor(exception.status), error_description: exception.message },
      };
    if (exception instanceof HttpException) return this.framework(exception, request);
    this.logger.error(
      `Unhandled error on ${request.method} ${request.path}`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return {
      status: 500,
      headers: {},
      body: { error: 'server_error', error_description: 'The server could not complete the request.' },
    };
  }

  private challenge(error: BearerChallengeError): ErrorAnswer {
    const challenge =
      error.scopes.length === 0
        ? this.missingTokenChallenge
        : formatBearerChallenge({ resourceMetadataUrl: this.server.resourceMetadataUrl, scopes: error.scopes });
    const header = error.code ? withBearerError(challenge, error.code, error.message) : challenge;
    return {
      status: error.status,
      headers: { 'WWW-Authenticate': header },
      body: { error: error.code ?? 'unauthorized', error_description: error.message },
    };
  }

  /** Framework errors (unknown route, body too large, malformed JSON): keep their status, answer in JSON. */
  private framework(exception: HttpException, request: Request): ErrorAnswer {
    const status = exception.getStatus();
    const isMcp = request.path === this.server.mcpPath || request.path === `${this.server.mcpPath}/`;
    const message =
      status === 404
        ? `No route for ${request.method} ${request.path}`
        : status === 413
          ? `The request body is larger than ${this.http.bodyLimitBytes} bytes (BODY_LIMIT_BYTES).`
          : exception.message;
    if (isMcp) {
      const rpcCode = status === 400 ? -32700 : -32600;
      return { status, headers: {}, body: { jsonrpc: '2.0', error: { code: rpcCode, message }, id: null } };
    }
    return { status, headers: {}, body: { error: errorCodeFor(status), error_description: message } };
  }
}

function errorCodeFor(status: number): string {
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 413) return 'request_too_large';
  if (status === 502) return 'bad_gateway';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}
