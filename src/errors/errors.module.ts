import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { MetricsModule } from '../metrics/metrics.module.js';
import { HttpErrorFilter } from './http-error.filter.js';

/** Registers the global error filter. The typed errors themselves are plain classes in errors.ts. */
@Module({ imports: [MetricsModule], providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }] })
export class ErrorsModule {}
