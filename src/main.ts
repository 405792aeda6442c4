import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { configureHttpApplication } from './app.setup.js';
import { AppConfig } from './config/app-config.js';
import { ConfigurationError } from './config/environment.js';
import { GracefulShutdown } from './shutdown/graceful-shutdown.js';

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await NestFactory.create<NestExpressApplication>(await AppModule.forRoot(), { bufferLogs: true });
  const config = app.get(AppConfig);
  const logger = app.get(Logger);
  app.useLogger(logger);
  configureHttpApplication(app);
  await app.listen(config.port, config.host);
  logger.log(`MCP endpoint ${config.resourceUrl} (listening on ${config.host}:${config.port}), authorization server ${config.issuer}`, 'Bootstrap');
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

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigurationError) {
    console.error(error.message);
  } else {
    console.error('The server could not start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
