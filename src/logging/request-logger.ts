import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import pretty from 'pino-pretty';
import { callerOf } from '../auth/caller.js';
import { operationsConfig } from '../config/namespaces.js';
import type { LogLevel } from '../config/environment.js';
import { requestProtocolOf } from '../metrics/request-protocol.js';
import { routePattern } from '../metrics/route-pattern.js';

/** Nest's level names (LOG_LEVEL) in pino's terms. */
const PINO_LEVELS: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Probes and scrapes arrive every few seconds and say nothing new; their answers still reach the metrics. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** An X-Request-Id from the ingress is kept when it is a plain token, so one id follows the request through. */
const FORWARDABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Defence in depth: nothing below logs headers or bodies, but should an object carrying them ever
 * reach a log line, these paths are censored.
 */
const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'token',
  'accessToken',
  'access_token',
  'secretKey',
  '*.authorization',
  '*.cookie',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.secretKey',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
];

/**
 * What the access log line says about a request besides its id and identity; MCP requests add their
 * protocol era and version.
 */
export function accessLogFields(
  request: Request,
  response: ServerResponse,
  durationMs: number,
): Record<string, unknown> {
  const fields = {
    method: request.method,
    route: routePattern(request),
    path: request.path,
    status: response.statusCode,
    durationMs,
    clientIp: request.ip,
  };
  const protocol = requestProtocolOf(request);
  return protocol ? { ...fields, era: protocol.era, protocolVersion: protocol.protocolVersion } : fields;
}

/** Express's view of a request; pino-http types its callbacks with Node's. */
const asExpress = (request: IncomingMessage): Request => request as Request;

/**
 * The application's one pino logger and the pino-http middleware that writes one line per request:
 * request id, route pattern, path (never the query string), status, duration, client address,
 * user id and client id, and for MCP requests the protocol era and version. Headers, bodies and
 * tokens are never part of it.
 */
@Injectable()
export class RequestLogger {
  readonly logger: Logger;
  readonly middleware: HttpLogger;

  constructor(@Inject(operationsConfig.KEY) config: ConfigType<typeof operationsConfig>) {
    const humanReadable =
      config.logFormat === 'pretty' ||
      (config.logFormat === 'auto' && config.nodeEnv === 'development' && process.stdout.isTTY);
    this.logger = pino(
      {
        level: PINO_LEVELS[config.logLevel],
        timestamp: pino.stdTimeFunctions.isoTime,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        // Log collectors read level names more readily than pino's numbers; pino-pretty wants the numbers.
        formatters: humanReadable ? {} : { level: (label) => ({ level: label }) },
      },
      humanReadable ? this.prettyStream() : pino.destination({ dest: 1 }),
    );
    this.middleware = pinoHttp<IncomingMessage, ServerResponse>({
      logger: this.logger,
      quietReqLogger: true,
      quietResLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      genReqId: (request, response) => {
        const forwarded = request.headers['x-request-id'];
        const id = typeof forwarded === 'string' && FORWARDABLE_REQUEST_ID.test(forwarded) ? forwarded : randomUUID();
        response.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (request) => UNLOGGED_PATHS.has(asExpress(request).path) },
      customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
      // Read when the answer is sent, after the bearer guard has attached the identity.
      customProps: (request) => {
        const identity = callerOf(request)?.identity;
        return identity ? { userId: identity.userId, clientId: identity.clientId } : {};
      },
      customSuccessMessage: (request, response) =>
        !request.readableAborted && response.writableEnded ? 'request completed' : 'request aborted',
      customSuccessObject: (request, response, value: { responseTime: number }) =>
        accessLogFields(asExpress(request), response, value.responseTime),
      // The error itself is logged where it is handled (the error filter); this line records the request.
      customErrorMessage: () => 'request failed',
      customErrorObject: (request, response, _error, value: { responseTime: number }) =>
        accessLogFields(asExpress(request), response, value.responseTime),
    });
  }

  private prettyStream(): DestinationStream {
    return pretty({
      colorize: process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
    });
  }
}
