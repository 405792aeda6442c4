interface Entry<V> {
  value: V;
  expiresAt: number;
  /** Read since it was last (re)inserted: it gets a second chance before it is evicted. */
  used: boolean;
}

/**
 * A size-bounded map whose entries expire; when full, the oldest entry that has expired or has not
 * been read since it was last moved goes first (the "second chance" approximation of LRU). A hit only marks its entry,
 * instead of moving it to the end of the map on every read (a delete and an insert per request on
 * the token caches); the move happens at most once per entry per eviction pass, when the eviction
 * reaches it. The bound itself is exact: never more than `maxEntries` entries.
 */
export class BoundedTtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    entry.used = true;
    return entry.value;
  }

  set(key: K, value: V, expiresAt: number): void {
    const now = this.now();
    if (expiresAt <= now || this.maxEntries < 1) return;
    // A new key makes room first, so that the entry being added is never the one evicted.
    if (!this.entries.delete(key) && this.entries.size >= this.maxEntries) this.evictOne(now);
    this.entries.set(key, { value, expiresAt, used: false });
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Walks from the oldest entry: the first one expired or not read since it was last moved is dropped;
   * each read one on the way moves to the end, unmarked. Ends within one pass over the map, since
   * every entry it moves is unmarked when the walk reaches it again.
   */
  private evictOne(now: number): void {
    for (const [key, entry] of this.entries) {
      this.entries.delete(key);
      if (!entry.used || entry.expiresAt <= now) return;
      entry.used = false;
      this.entries.set(key, entry);
    }
  }
}
