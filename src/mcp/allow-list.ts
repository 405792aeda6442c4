/**
 * Matches a value against an allow-list whose entries are exact (lower-case) or end in `:*`,
 * meaning that host on any port. '*' allows everything.
 */
export function isAllowed(value: string, allowList: readonly string[] | '*'): boolean {
  if (allowList === '*') return true;
  const candidate = value.toLowerCase();
  for (const entry of allowList) {
    if (!entry.endsWith(':*')) {
      if (entry === candidate) return true;
      continue;
    }
    const base = entry.slice(0, -2);
    if (candidate === base || (candidate.startsWith(`${base}:`) && /^\d+$/.test(candidate.slice(base.length + 1))))
      return true;
  }
  return false;
}
