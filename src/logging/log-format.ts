import { pino, type LoggerOptions } from 'pino';

/**
 * Whether log lines are written for people rather than as JSON: LOG_FORMAT=pretty, or `auto` in
 * development on a terminal. Shared by the logger and by main.ts's report of a failed start, which
 * decides from the raw variables because the configuration may be what failed.
 */
export function writesHumanReadable(logFormat: string, nodeEnv: string): boolean {
  return logFormat === 'pretty' || (logFormat === 'auto' && nodeEnv === 'development' && process.stdout.isTTY);
}

/** How every JSON line is shaped: ISO time, and the level by name, which log collectors read more readily. */
export const JSON_LINE_OPTIONS: LoggerOptions = {
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
};
