import { describe, expect, it } from '@jest/globals';
import { FixedWindowLimiter } from './fixed-window-limiter.js';

describe('FixedWindowLimiter', () => {
  it('allows the limit per window and key, then says how long to wait, and opens a new window after', () => {
    let now = 1_000_000;
    const limiter = new FixedWindowLimiter(2, 60_000, () => now);
    expect(limiter.hit('a')).toEqual({ allowed: true });
    now += 10_000;
    expect(limiter.hit('a')).toEqual({ allowed: true });
    expect(limiter.hit('b')).toEqual({ allowed: true });
    now += 500;
    expect(limiter.hit('a')).toEqual({ allowed: false, retryAfterSeconds: 50 });
    now += 49_500;
    expect(limiter.hit('a')).toEqual({ allowed: true });
  });

  it('never tells a refused caller to retry in less than a second', () => {
    let now = 0;
    const limiter = new FixedWindowLimiter(1, 1_000, () => now);
    limiter.hit('a');
    now = 999;
    expect(limiter.hit('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });
});
