import { performance } from 'node:perf_hooks';

/**
 * Starts timing; the returned function gives the seconds elapsed, as the metrics take them. A
 * monotonic clock read as a number: `process.hrtime.bigint()` allocated two BigInts per timing.
 */
export function stopwatch(): () => number {
  const started = performance.now();
  return () => (performance.now() - started) / 1000;
}
