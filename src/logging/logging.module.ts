import { Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ShutdownModule } from '../shutdown/shutdown.module.js';
import { monotonicClock, REQUEST_CLOCK, RequestLifecycle } from './request-lifecycle.js';
import { LOG_DESTINATION, RequestLogger } from './request-logger.js';

/**
 * JSON logs through pino. {@link RequestLogger} is Nest's logger (main.ts), so Nest's own lines
 * carry the id of the request they were written for; {@link RequestLifecycle} is the middleware
 * mounted ahead of everything else (app.setup.ts) that gives each request its id, access line,
 * metrics and place in the drain.
 */
@Module({
  imports: [MetricsModule, ShutdownModule],
  providers: [
    RequestLogger,
    RequestLifecycle,
    { provide: REQUEST_CLOCK, useValue: monotonicClock },
    { provide: LOG_DESTINATION, useFactory: (): DestinationStream | null => null },
  ],
  exports: [RequestLogger, RequestLifecycle],
})
export class LoggingModule {}
