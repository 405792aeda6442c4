import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';
import type { Clock } from './clock.js';

/** The key set cannot be fetched now, and the last attempt is too recent to try again. */
export class KeySetUnavailableError extends Error {
  constructor(
    message: string,
    /** When the next fetch may start: what a client is told to wait. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'KeySetUnavailableError';
  }
}

export interface IssuerKeySetOptions {
  timeoutMs: number;
  /** How long a fetched key set is used before it is fetched again. */
  cacheMaxAgeMs: number;
  /** No fetch starts sooner than this after the previous one started, whatever became of it. */
  refetchIntervalMs: number;
  /** Spaces the fetches; jose's own cache age runs on its clock (Date.now). */
  now: Clock;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
}

/**
 * An issuer's published keys, fetched and cached by jose's remote key set, with one rule of our
 * own on top: a fetch starts at most once per `refetchIntervalMs`, and concurrent callers share
 * it. jose's cooldown counts only from the last *successful* fetch, so while the issuer is down
 * every token with an unknown `kid` would make a call to it; here a failure spaces the next
 * attempt just as a success does, so anonymous requests cannot be turned into traffic towards
 * the authorization server. While the keys cannot be had, callers get {@link KeySetUnavailableError}.
 */
export class IssuerKeySet {
  private readonly remote: ReturnType<typeof createRemoteJWKSet>;
  private lastFetchStartedAt?: number;
  private lastFetchFailed = false;
  private inFlight?: Promise<void>;
  /** How many different key sets have been fetched; a fetch that brings the same keys again counts for nothing. */
  private distinctSets = 0;
  /** The keys last fetched, as published, to tell a changed set from the same one fetched again. */
  private lastPublished?: string;

  constructor(
    url: URL,
    private readonly options: IssuerKeySetOptions,
  ) {
    this.remote = createRemoteJWKSet(url, {
      timeoutDuration: options.timeoutMs,
      cacheMaxAge: options.cacheMaxAgeMs,
      // jose refetches on its own for a stale set or, past its cooldown, an unknown kid. Stale sets are
      // refreshed below before jose sees them, and a cooldown as long as the cache keeps it from refetching
      // for unknown kids, so every fetch goes through refresh() and its spacing.
      cooldownDuration: options.cacheMaxAgeMs,
      [customFetch]: options.fetch,
    });
  }

  /**
   * Changes whenever a fetch brings keys other than those in hand (a key added, withdrawn or
   * changed): a verdict reached with one generation of keys says nothing about the next. Fetching
   * the same keys again, as happens every cache age, keeps the generation, and so every verdict
   * reached with it: each would be reached again, with the same key.
   */
  get generation(): number {
    return this.distinctSets;
  }

  /** Whether the keys in hand are younger than their cache age, and so are used as they are. */
  get fresh(): boolean {
    return this.remote.fresh;
  }

  /** Fetches the keys when those in hand are past their cache age, or none were fetched yet. */
  async refreshIfStale(): Promise<void> {
    if (!this.remote.fresh) await this.refresh();
  }

  /** For `jwtVerify`: the key the token's header names. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    await this.refreshIfStale();
    try {
      return await this.remote(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // The issuer may have rotated its keys since the last fetch.
      if (!(await this.refresh())) throw error;
      return this.remote(header, token);
    }
  };

  /**
   * Fetches the key set unless the last fetch started less than the interval ago. Resolves true when it
   * fetched, false when the keys in hand are fresh and simply lack the one asked for.
   */
  private async refresh(): Promise<boolean> {
    if (this.inFlight) return this.inFlight.then(() => true);
    const sinceLastFetch =
      this.lastFetchStartedAt === undefined ? Infinity : this.options.now() - this.lastFetchStartedAt;
    if (sinceLastFetch < this.options.refetchIntervalMs) {
      if (!this.lastFetchFailed && this.remote.fresh) return false;
      const waitSeconds = Math.ceil((this.options.refetchIntervalMs - sinceLastFetch) / 1000);
      const why = this.lastFetchFailed ? 'the last attempt failed' : 'the keys in hand have expired';
      throw new KeySetUnavailableError(`${why}, and the next fetch may start in ${waitSeconds} s.`, waitSeconds);
    }
    this.lastFetchStartedAt = this.options.now();
    this.inFlight = this.remote
      .reload()
      .then(
        () => {
          this.lastFetchFailed = false;
          const published = JSON.stringify(this.remote.jwks());
          if (published === this.lastPublished) return;
          this.lastPublished = published;
          this.distinctSets += 1;
        },
        (error: unknown) => {
          this.lastFetchFailed = true;
          throw error;
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    await this.inFlight;
    return true;
  }
}
