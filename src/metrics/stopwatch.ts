/** Starts timing; the returned function gives the seconds elapsed, as the metrics take them. */
export function stopwatch(): () => number {
  const started = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - started) / 1e9;
}
