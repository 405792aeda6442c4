import { Module } from '@nestjs/common';
import { GracefulShutdown } from './graceful-shutdown.js';

/** Graceful shutdown on SIGTERM; readiness reads its state. */
@Module({ providers: [GracefulShutdown], exports: [GracefulShutdown] })
export class ShutdownModule {}
