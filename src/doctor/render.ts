import type { CheckStatus, DoctorReport } from './report.js';
import type { Styles } from './terminal.js';

const LABEL: Record<CheckStatus, (styles: Styles) => string> = {
  ok: (styles) => styles.green('ok  '),
  warn: (styles) => styles.yellow('warn'),
  fail: (styles) => styles.red('fail'),
  skip: (styles) => styles.dim('skip'),
};

/** One line per check (status, name, what was seen), and under each warning or failure its fix. */
export function renderText(report: DoctorReport, styles: Styles): string {
  const width = Math.max(...report.checks.map((check) => check.id.length));
  const lines = [styles.bold(`nest-mcp-oauth doctor ${report.url}`), ''];
  for (const check of report.checks) {
    lines.push(`${LABEL[check.status](styles)}  ${check.id.padEnd(width)}  ${check.seen}`);
    if (check.fix) lines.push(`${' '.repeat(6 + width + 2)}${styles.dim('fix:')} ${check.fix}`);
  }
  const { ok, warn, fail, skip } = report.summary;
  const counts = [
    `${ok} ok`,
    `${warn} warning${warn === 1 ? '' : 's'}`,
    `${fail} failed`,
    ...(skip > 0 ? [`${skip} skipped`] : []),
  ];
  lines.push(
    '',
    fail > 0
      ? styles.red(counts.join(', '))
      : warn > 0
        ? styles.yellow(counts.join(', '))
        : styles.green(counts.join(', ')),
  );
  return `${lines.join('\n')}\n`;
}

export const renderJson = (report: DoctorReport): string => `${JSON.stringify(report, null, 2)}\n`;
