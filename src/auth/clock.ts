import { Module } from '@nestjs/common';

/** Milliseconds since the epoch. Injected wherever time decides something, so tests move it instead of sleeping. */
export type Clock = () => number;

/** Injection token for the {@link Clock}; `Date.now` unless a test replaces it. */
export const CLOCK = Symbol('CLOCK');

/** The one {@link CLOCK}: every module that computes an expiry imports it, so a test overrides one provider. */
@Module({ providers: [{ provide: CLOCK, useValue: Date.now }], exports: [CLOCK] })
export class ClockModule {}
