/** Milliseconds since the epoch. Injected wherever time decides something, so tests move it instead of sleeping. */
export type Clock = () => number;

/** Injection token for the {@link Clock}; `Date.now` unless a test replaces it. */
export const CLOCK = Symbol('CLOCK');
