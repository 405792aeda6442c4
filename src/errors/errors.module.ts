import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HttpErrorFilter } from './http-error.filter.js';

/** Registers the global error filter. The typed errors themselves are plain classes in errors.ts. */
@Module({ providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }] })
export class ErrorsModule {}
