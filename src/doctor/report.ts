/** The outcome of one check. `skip` means an earlier failure left nothing to check. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable name, e.g. `prm.resource`; tests and `--json` consumers key on it. */
  id: string;
  status: CheckStatus;
  /** What was seen, in one line. */
  seen: string;
  /** For warn and fail: the one sentence that says what to change. */
  fix?: string;
}

export const ok = (id: string, seen: string): CheckResult => ({ id, status: 'ok', seen });
export const warn = (id: string, seen: string, fix: string): CheckResult => ({ id, status: 'warn', seen, fix });
export const fail = (id: string, seen: string, fix: string): CheckResult => ({ id, status: 'fail', seen, fix });
export const skip = (id: string, seen: string): CheckResult => ({ id, status: 'skip', seen });

export interface DoctorReport {
  url: string;
  checks: CheckResult[];
  summary: Record<CheckStatus, number>;
}

export function summarize(url: string, checks: CheckResult[]): DoctorReport {
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) summary[check.status]++;
  return { url, checks, summary };
}

/** Non-zero exactly when a check failed; warnings alone still pass. */
export const exitCodeOf = (report: DoctorReport): number => (report.summary.fail > 0 ? 1 : 0);
