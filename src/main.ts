import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { pino } from 'pino';
import { AppModule } from './app.module.js';
import { configureHttpApplication } from './app.setup.js';
import type { ConfigType } from '@nestjs/config';
import { authConfig, serverConfig } from './config/namespaces.js';
import { ConfigurationError, type RawEnvironment } from './config/environment.js';
import { JSON_LINE_OPTIONS, writesHumanReadable } from './logging/log-format.js';
import { RequestLogger } from './logging/request-logger.js';
import { GracefulShutdown } from './shutdown/graceful-shutdown.js';

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // Nest's own logs wait in its buffer until the JSON logger takes them, after the server listens. On a
  // failed start they are dropped, and Nest neither prints the error itself (coloured, with a stack)
  // nor exits: the error comes here, and reportStartFailure writes the one line that says why.
  const app = await NestFactory.create<NestExpressApplication>(await AppModule.forRoot(), {
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
  });
  const server = app.get<string, ConfigType<typeof serverConfig>>(serverConfig.KEY);
  const { issuer } = app.get<string, ConfigType<typeof authConfig>>(authConfig.KEY);
  const logger = app.get(RequestLogger);
  configureHttpApplication(app);
  await app.listen(server.port, server.host);
  app.useLogger(logger);
  app.flushLogs();
  const listening = `listening on ${server.host}:${server.port}`;
  logger.log(`MCP endpoint ${server.resourceUrl} (${listening}), authorization server ${issuer}`, 'Bootstrap');
  // Our own handlers rather than Nest's shutdown hooks: the HTTP server must drain before any module
  // is torn down, and the process must then exit 0. A second signal gets Node's default: stop now.
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      logger.log(`${signal} received`, 'Bootstrap');
      app
        .get(GracefulShutdown)
        .drainAndClose(app)
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`, 'Bootstrap');
            process.exit(1);
          },
        );
    });
}

/** What the operator should do about the operating-system errors a start most often meets. */
const HINTS: Record<string, string> = {
  EADDRINUSE: 'another process already listens on HOST:PORT; stop it or choose another PORT',
  EADDRNOTAVAIL: 'HOST is not an address of this machine; leave it unset or use 0.0.0.0',
  EACCES: 'the user the server runs as may not write that path or bind that port',
  EROFS: 'the filesystem is read-only; mount a writable volume there',
};

interface StartFailure {
  message: string;
  /** Each configuration problem on its own, for log queries. */
  problems?: string[];
  err?: { type: string; code?: string; stack?: string };
}

/**
 * A failed start, described without secrets: configuration errors never carry the values of
 * secret variables (see environment.ts), and other errors contribute their message, name and
 * code only. The stack is kept for errors that are neither configuration nor operating-system
 * errors, that is for bugs, where it is the useful part.
 */
function describeStartFailure(error: unknown): StartFailure {
  if (error instanceof ConfigurationError)
    return { message: `Invalid configuration: ${error.problems.join('; ')}`, problems: error.problems };
  if (!(error instanceof Error)) return { message: `The server could not start: ${String(error)}` };
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code ? HINTS[code] : undefined;
  return {
    message: `The server could not start: ${error.message}${hint ? ` (${hint})` : ''}`,
    err: { type: error.name, ...(code ? { code } : { stack: error.stack }) },
  };
}

/**
 * Start-up failures are written the way the logs would have been (LOG_FORMAT, NODE_ENV), decided from
 * the raw variables because the configuration may be what failed: one JSON line shaped like the
 * server's other lines, or readable text on a development terminal.
 */
function reportStartFailure(error: unknown, env: RawEnvironment): void {
  const failure = describeStartFailure(error);
  const format = env.LOG_FORMAT?.trim();
  const nodeEnv = env.NODE_ENV?.trim() || 'development';
  // Any value but json or pretty (missing, or the invalid one that stopped the start) counts as auto.
  if (writesHumanReadable(format === 'json' || format === 'pretty' ? format : 'auto', nodeEnv)) {
    const text = error instanceof ConfigurationError ? error.message : failure.message;
    console.error(failure.err?.stack ? `${text}\n${failure.err.stack}` : text);
    return;
  }
  const { message, ...fields } = failure;
  pino(JSON_LINE_OPTIONS, pino.destination({ dest: 1, sync: true })).fatal(
    { context: 'Bootstrap', ...fields },
    message,
  );
}

bootstrap().catch((error: unknown) => {
  reportStartFailure(error, process.env);
  process.exit(1);
});
