import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { RequestLogger } from './request-logger.js';

@Module({ providers: [RequestLogger], exports: [RequestLogger] })
class RequestLoggerModule {}

/**
 * JSON logs through pino. The request middleware is mounted ahead of the body parsers (see
 * app.setup.ts), so refused bodies are logged too; nestjs-pino then reuses that logger
 * (`useExisting`) for Nest's own logs, which therefore carry the request id.
 */
@Module({
  imports: [
    RequestLoggerModule,
    LoggerModule.forRootAsync({
      imports: [RequestLoggerModule],
      inject: [RequestLogger],
      useFactory: (requestLogger: RequestLogger) => ({ pinoHttp: { logger: requestLogger.logger }, useExisting: true as const }),
    }),
  ],
  exports: [RequestLoggerModule],
})
export class LoggingModule {}
