import { BoundedTtlCache } from '../auth/bounded-ttl-cache.js';

/** Counters kept at most: a flood of distinct addresses evicts the oldest windows, never grows memory. */
const MAX_TRACKED_CLIENTS = 100_000;

interface Window {
  hits: number;
  endsAt: number;
}

/** What a hit was told: go on, or wait this many whole seconds. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Every allowed hit is told the same thing: one answer, not one allocation per request. */
const ALLOWED: RateDecision = Object.freeze({ allowed: true });

/**
 * Counts hits per key in fixed windows of `windowMs`, in memory (per replica). A window opens at a
 * key's first hit; once `limit` hits are spent, further hits are refused until it ends.
 */
export class FixedWindowLimiter {
  private readonly windows: BoundedTtlCache<string, Window>;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windows = new BoundedTtlCache(MAX_TRACKED_CLIENTS, now);
  }

  hit(key: string): RateDecision {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window) {
      window = { hits: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window, window.endsAt);
    }
    window.hits += 1;
    if (window.hits <= this.limit) return ALLOWED;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - now) / 1000)) };
  }
}
