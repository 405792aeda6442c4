import { Module } from '@nestjs/common';
import { RequestLogger } from './request-logger.js';

/**
 * JSON logs through pino. {@link RequestLogger} is both the request middleware (mounted ahead of
 * the body parsers, see app.setup.ts, so refused bodies are logged too) and Nest's logger
 * (main.ts), so Nest's own lines carry the id of the request they were written for.
 */
@Module({ providers: [RequestLogger], exports: [RequestLogger] })
export class LoggingModule {}
