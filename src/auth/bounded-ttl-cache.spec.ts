import { describe, expect, it } from '@jest/globals';
import { BoundedTtlCache } from './bounded-ttl-cache.js';

describe('BoundedTtlCache', () => {
  it('forgets entries when they expire', () => {
    let now = 1000;
    const cache = new BoundedTtlCache<string, number>(10, () => now);
    cache.set('a', 1, 2000);
    expect(cache.get('a')).toBe(1);
    now = 2000;
    expect(cache.get('a')).toBeUndefined();
    cache.set('b', 2, 1500);
    expect(cache.get('b')).toBeUndefined();
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new BoundedTtlCache<string, number>(2, () => 0);
    cache.set('a', 1, 10);
    cache.set('b', 2, 10);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3, 10);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('keeps an entry that is read between insertions through a flood of entries read once', () => {
    const cache = new BoundedTtlCache<string, number>(3, () => 0);
    cache.set('hot', 0, 10);
    for (let index = 0; index < 50; index += 1) {
      expect(cache.get('hot')).toBe(0);
      cache.set(`once-${index}`, index, 10);
      expect(cache.size).toBe(Math.min(index + 2, 3));
    }
    expect(cache.get('hot')).toBe(0);
    expect(cache.get('once-49')).toBe(49);
    expect(cache.get('once-46')).toBeUndefined();
  });

  it('stays within its bound when every entry has been read, evicting the oldest first', () => {
    const cache = new BoundedTtlCache<string, number>(3, () => 0);
    for (const key of ['a', 'b', 'c']) cache.set(key, 1, 10);
    for (const key of ['a', 'b', 'c']) cache.get(key);
    cache.set('d', 4, 10);
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([1, 1, 4]);
  });

  it('drops an expired entry before a live one when it must evict, even if the expired one was read', () => {
    let now = 0;
    const cache = new BoundedTtlCache<string, number>(2, () => now);
    cache.set('short', 1, 5);
    cache.set('long', 2, 50);
    cache.get('short');
    now = 10;
    cache.set('new', 3, 50);
    expect(cache.size).toBe(2);
    expect(cache.get('long')).toBe(2);
    expect(cache.get('new')).toBe(3);
  });
});
