import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { Inject, Injectable, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { pino, type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { operationsConfig } from '../config/namespaces.js';
import { LineBatcher } from './line-batcher.js';
import { ISO_TIME_FIELD, JSON_LINE_OPTIONS, writesHumanReadable } from './log-format.js';
import type { LogLevel } from '../config/environment.js';
import type { RequestProtocol } from '../metrics/request-protocol.js';

/**
 * Where the lines go: null for stdout (JSON lines, gathered, or human-readable ones, as LOG_FORMAT
 * says); tests give a destination of their own and read the lines there.
 */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** Nest's level names (LOG_LEVEL) in pino's terms. */
const PINO_LEVELS: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * JSON lines are gathered up to about this many characters (a hundred access lines) and written
 * together: one write per line cost more than anything else an answered request did, and fewer,
 * larger writes measured cheaper still. What is gathered is written every
 * {@link FLUSH_INTERVAL_MS}, and synchronously when the process exits.
 */
const BUFFERED_CHARS = 32768;
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

/** A request as the access line reports it; read when its response has closed. */
export interface AccessRecord {
  requestId: string;
  method: string;
  route: string;
  path: string;
  status: number;
  durationMs: number;
  clientIp: string | undefined;
  identity?: { userId: string; clientId: string };
  protocol?: RequestProtocol;
  /** False when the client went away or the answer was cut before it was fully sent. */
  completed: boolean;
}

type AccessLevel = 'info' | 'error';

/**
 * The access line's fields in pino's own serialisation (`,"name":value`, undefined fields left out),
 * in the order pino wrote them when it was handed the same object.
 */
export function accessLineFields(record: AccessRecord): string {
  const identity = record.identity
    ? `,"userId":${JSON.stringify(record.identity.userId)},"clientId":${JSON.stringify(record.identity.clientId)}`
    : '';
  const clientIp = record.clientIp === undefined ? '' : `,"clientIp":${JSON.stringify(record.clientIp)}`;
  const protocol = record.protocol
    ? `,"era":${JSON.stringify(record.protocol.era)},"protocolVersion":${JSON.stringify(record.protocol.protocolVersion)}`
    : '';
  return (
    `,"requestId":${JSON.stringify(record.requestId)}${identity},"method":${JSON.stringify(record.method)}` +
    `,"route":${JSON.stringify(record.route)},"path":${JSON.stringify(record.path)},"status":${record.status}` +
    `,"durationMs":${record.durationMs}${clientIp}${protocol}`
  );
}

/**
 * The application's logging: one pino logger for Nest's and our own lines (the request id of the
 * request being served is added to each), and one access line per request (see RequestLifecycle):
 * request id, user id and client id once known, route pattern, path (never the query string),
 * status, duration, client address, and for MCP requests the protocol era and version. Headers,
 * bodies and tokens are never part of it.
 */
@Injectable()
export class RequestLogger implements LoggerService, OnApplicationShutdown {
  readonly logger: Logger;
  private readonly requestIds = new AsyncLocalStorage<string>();
  private readonly flushTimer?: NodeJS.Timeout;
  private readonly batcher?: LineBatcher;
  private readonly releaseOnExit?: () => void;
  private readonly destination: DestinationStream;
  /** What opens each access line, per level: the level field as pino shapes it. */
  private readonly accessLinePrefixes: Record<AccessLevel, string>;
  /** pino's bindings (pid, hostname) as pino writes them after the time. */
  private readonly bindings: string;

  constructor(
    @Inject(operationsConfig.KEY) config: ConfigType<typeof operationsConfig>,
    @Inject(LOG_DESTINATION) destination: DestinationStream | null = null,
  ) {
    const humanReadable = writesHumanReadable(config.logFormat, config.nodeEnv);
    if (destination) {
      this.destination = destination;
    } else if (humanReadable) {
      this.destination = prettyStream();
    } else {
      const batcher = new LineBatcher(pino.destination({ dest: 1, sync: false }), BUFFERED_CHARS);
      this.batcher = batcher;
      this.destination = batcher;
      this.flushTimer = setInterval(() => batcher.release(), FLUSH_INTERVAL_MS).unref();
      this.releaseOnExit = () => batcher.releaseSync();
      process.once('exit', this.releaseOnExit);
    }
    // pino's default bindings, spelled out so the access line can write the same ones.
    const base = { pid: process.pid, hostname: hostname() };
    // pino-pretty wants pino's level numbers; JSON lines name the level.
    const options: LoggerOptions = {
      level: PINO_LEVELS[config.logLevel],
      base,
      ...(humanReadable ? { timestamp: ISO_TIME_FIELD } : JSON_LINE_OPTIONS),
    };
    this.logger = pino({ ...options, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, this.destination);
    const levelField = (label: AccessLevel): string => {
      const field = options.formatters?.level?.(label, this.logger.levels.values[label]) ?? {
        level: this.logger.levels.values[label],
      };
      return `{${JSON.stringify(field).slice(1, -1)}`;
    };
    this.accessLinePrefixes = { info: levelField('info'), error: levelField('error') };
    this.bindings = `,${JSON.stringify(base).slice(1, -1)}`;
  }

  onApplicationShutdown(): void {
    clearInterval(this.flushTimer);
    // Applications closed without exiting (tests) leave no listener behind.
    if (this.releaseOnExit) process.removeListener('exit', this.releaseOnExit);
    this.batcher?.stopBatching();
  }

  /** Runs the rest of a request's handling with its id, which Nest's and our own lines then carry. */
  withRequestId<Args extends unknown[]>(requestId: string, handle: (...args: Args) => void, ...args: Args): void {
    this.requestIds.run(requestId, handle, ...args);
  }

  /**
   * The access line, serialised here and written straight to the log's destination: the same line
   * pino would write for these fields, without its merging of objects and child bindings per call
   * (the largest part of what logging a request cost). Its fields are named ones only, so it needs
   * none of the censoring the other lines get.
   */
  logAccess(record: AccessRecord): void {
    const level: AccessLevel = record.status >= 500 ? 'error' : 'info';
    if (!this.logger.isLevelEnabled(level)) return;
    const message = record.completed ? 'request completed' : 'request aborted';
    this.destination.write(
      `${this.accessLinePrefixes[level]}${ISO_TIME_FIELD()}${this.bindings}${accessLineFields(record)}` +
        `,"msg":"${message}"}\n`,
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
