import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureHttpApplication } from './app.setup.js';
import { AppConfig } from './config/app-config.js';
import { ConfigurationError, LOG_LEVELS } from './config/environment.js';

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await NestFactory.create<NestExpressApplication>(await AppModule.forRoot(), { bufferLogs: true });
  const config = app.get(AppConfig);
  app.useLogger(LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.logLevel) + 1));
  configureHttpApplication(app);
  await app.listen(config.port, config.host);
  app.flushLogs();
  console.log(`MCP endpoint ${config.resourceUrl} (listening on ${config.host}:${config.port}), authorization server ${config.issuer}`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigurationError) {
    console.error(error.message);
  } else {
    console.error('The server could not start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
