import type { LoggerOptions } from 'pino';

/**
 * Whether log lines are written for people rather than as JSON: LOG_FORMAT=pretty, or `auto` in
 * development on a terminal. Shared by the logger and by main.ts's report of a failed start, which
 * decides from the raw variables because the configuration may be what failed.
 */
export function writesHumanReadable(logFormat: string, nodeEnv: string): boolean {
  return logFormat === 'pretty' || (logFormat === 'auto' && nodeEnv === 'development' && process.stdout.isTTY);
}

/**
 * pino's `isoTime` field (`,"time":"<ISO 8601>"`), formatted once per millisecond: under load many
 * lines share one, and formatting the date cost more than the rest of an access line.
 */
export function isoTimeField(now: () => number = Date.now): () => string {
  let formattedAt = Number.NaN;
  let field = '';
  return () => {
    const time = now();
    if (time !== formattedAt) {
      formattedAt = time;
      field = `,"time":"${new Date(time).toISOString()}"`;
    }
    return field;
  };
}

/** The time field of every line, JSON or human-readable (pino-pretty shows it in local time). */
export const ISO_TIME_FIELD = isoTimeField();

/** How every JSON line is shaped: ISO time, and the level by name, which log collectors read more readily. */
export const JSON_LINE_OPTIONS: LoggerOptions = {
  timestamp: ISO_TIME_FIELD,
  formatters: { level: (label) => ({ level: label }) },
};
