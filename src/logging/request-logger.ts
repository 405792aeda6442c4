import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { callerOf } from '../auth/caller.js';
import { operationsConfig } from '../config/namespaces.js';
import { JSON_LINE_OPTIONS, writesHumanReadable } from './log-format.js';
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
 * JSON lines are buffered up to this many bytes and written together: one write per line cost
 * more than anything else an answered request did. The buffer is flushed every
 * {@link FLUSH_INTERVAL_MS}, and synchronously when the process exits (pino registers that).
 */
const BUFFERED_BYTES = 8192;
const FLUSH_INTERVAL_MS = 250;

/**
 * Defence in depth for the application's own log lines: nothing logs headers or bodies, but should
 * an object carrying them ever reach a log line, these paths are censored. The access line is
 * built from named fields only, so it needs no censoring and skips its cost.
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

/**
 * The application's logging: one pino logger for Nest's and our own lines (the request id of the
 * request being served is added to each), and the middleware that writes one access line per
 * request: request id, user id and client id once known, route pattern, path (never the query
 * string), status, duration, client address, and for MCP requests the protocol era and version.
 * Headers, bodies and tokens are never part of it.
 */
@Injectable()
export class RequestLogger implements LoggerService, OnApplicationShutdown {
  readonly logger: Logger;
  private readonly accessLogger: Logger;
  private readonly requestIds = new AsyncLocalStorage<string>();
  private readonly flushTimer?: NodeJS.Timeout;

  constructor(@Inject(operationsConfig.KEY) config: ConfigType<typeof operationsConfig>) {
    const humanReadable = writesHumanReadable(config.logFormat, config.nodeEnv);
    let destination: DestinationStream;
    if (humanReadable) {
      destination = prettyStream();
    } else {
      const buffered = pino.destination({ dest: 1, sync: false, minLength: BUFFERED_BYTES });
      destination = buffered;
      this.flushTimer = setInterval(() => flushQuietly(buffered), FLUSH_INTERVAL_MS).unref();
    }
    // pino-pretty wants pino's level numbers; JSON lines name the level.
    const options = {
      level: PINO_LEVELS[config.logLevel],
      ...(humanReadable ? { timestamp: pino.stdTimeFunctions.isoTime } : JSON_LINE_OPTIONS),
    };
    this.logger = pino({ ...options, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
    this.accessLogger = pino(options, destination);
  }

  onApplicationShutdown(): void {
    clearInterval(this.flushTimer);
  }

  /** Mounted first (app.setup.ts), so that refused requests are logged too. */
  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const started = Date.now();
    const forwarded = request.headers['x-request-id'];
    const requestId =
      typeof forwarded === 'string' && FORWARDABLE_REQUEST_ID.test(forwarded) ? forwarded : randomUUID();
    response.setHeader('X-Request-Id', requestId);
    if (!UNLOGGED_PATHS.has(request.path))
      response.once('close', () => this.logAccess(request, response, requestId, Date.now() - started));
    this.requestIds.run(requestId, next);
  };

  private logAccess(request: Request, response: Response, requestId: string, durationMs: number): void {
    const level = response.statusCode >= 500 ? 'error' : 'info';
    if (!this.accessLogger.isLevelEnabled(level)) return;
    // Read when the answer is sent, after the bearer guard has attached the identity.
    const identity = callerOf(request)?.identity;
    const completed = !request.readableAborted && response.writableFinished;
    this.accessLogger[level](
      {
        requestId,
        ...(identity ? { userId: identity.userId, clientId: identity.clientId } : {}),
        ...accessLogFields(request, response, durationMs),
      },
      completed ? 'request completed' : 'request aborted',
    );
  }

  log(message: unknown, ...context: unknown[]): void {
    this.write('info', message, context);
  }

  error(message: unknown, ...context: unknown[]): void {
    this.write('error', message, context);
  }

  warn(message: unknown, ...context: unknown[]): void {
    this.write('warn', message, context);
  }

  debug(message: unknown, ...context: unknown[]): void {
    this.write('debug', message, context);
  }

  verbose(message: unknown, ...context: unknown[]): void {
    this.write('trace', message, context);
  }

  fatal(message: unknown, ...context: unknown[]): void {
    this.write('fatal', message, context);
  }

  /**
   * Nest calls `level(message, ...params)`, its last string parameter naming the context; for an
   * error, a string before it is the stack.
   */
  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const strings = params.filter((param): param is string => typeof param === 'string');
    const context = strings.length > 0 ? strings[strings.length - 1] : undefined;
    const stack = level === 'error' && strings.length > 1 ? strings[0] : undefined;
    const fields: Record<string, unknown> = {};
    const requestId = this.requestIds.getStore();
    if (requestId !== undefined) fields.requestId = requestId;
    if (context !== undefined) fields.context = context;
    if (stack !== undefined) fields.stack = stack;
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}

function prettyStream(): DestinationStream {
  return pretty({
    colorize: process.stdout.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
}

/** A flush while a write is still in progress is refused; the next tick of the timer takes it. */
function flushQuietly(stream: ReturnType<typeof pino.destination>): void {
  try {
    stream.flush();
  } catch {
    // Still writing: nothing to do until the next tick.
  }
}
