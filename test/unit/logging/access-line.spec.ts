import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadAppConfig } from '../../../src/config/app-config.js';
import { isoTimeField, JSON_LINE_OPTIONS } from '../../../src/logging/log-format.js';
import { RequestLogger, type AccessRecord } from '../../../src/logging/request-logger.js';

/** The line pino wrote for the same request when it built the access line from an object. */
function pinoLine(record: AccessRecord): string {
  const lines: string[] = [];
  const logger = pino({ level: 'info', ...JSON_LINE_OPTIONS }, { write: (line: string) => lines.push(line) });
  const level = record.status >= 500 ? 'error' : 'info';
  logger[level](
    {
      requestId: record.requestId,
      ...(record.identity ? { userId: record.identity.userId, clientId: record.identity.clientId } : {}),
      method: record.method,
      route: record.route,
      path: record.path,
      status: record.status,
      durationMs: record.durationMs,
      clientIp: record.clientIp,
      ...(record.protocol ? { era: record.protocol.era, protocolVersion: record.protocol.protocolVersion } : {}),
    },
    record.completed ? 'request completed' : 'request aborted',
  );
  return lines.join('');
}

function ourLine(record: AccessRecord): string {
  const lines: string[] = [];
  new RequestLogger(loadAppConfig({}).operations, { write: (line: string) => lines.push(line) }).logAccess(record);
  return lines.join('');
}

const withoutTime = (line: string): string => line.replace(/"time":"[^"]+"/, '"time":"T"');

const BASE: AccessRecord = {
  requestId: '5d0c2f5e-2a4e-4d1b-9a43-1f0f7c1e9a10',
  method: 'POST',
  route: '/mcp',
  path: '/mcp',
  status: 200,
  durationMs: 4,
  clientIp: '::ffff:127.0.0.1',
  completed: true,
};

describe('the access line', () => {
  it.each<[string, AccessRecord]>([
    [
      'an answered MCP request with its caller and era',
      {
        ...BASE,
        identity: { userId: 'user_1', clientId: 'client_1' },
        protocol: { era: 'legacy', protocolVersion: '2025-11-25' },
      },
    ],
    [
      'a refusal before routing, without a client address',
      { ...BASE, route: '(unmatched)', status: 413, clientIp: undefined },
    ],
    ['a 5xx, at error level', { ...BASE, status: 503 }],
    ['an aborted request', { ...BASE, completed: false }],
    [
      'values that need escaping',
      {
        ...BASE,
        path: '/a"b\\c\u0001\u2028é',
        identity: { userId: 'user "quoted"', clientId: 'client\nnewline' },
      },
    ],
  ])('is the line pino wrote for the same fields: %s', (_name, record) => {
    const line = ourLine(record);
    expect(withoutTime(line)).toBe(withoutTime(pinoLine(record)));
    expect(line.endsWith('}\n')).toBe(true);
  });

  it('is not written when its level is off', () => {
    const lines: string[] = [];
    const logger = new RequestLogger(loadAppConfig({ LOG_LEVEL: 'warn' }).operations, {
      write: (line: string) => lines.push(line),
    });
    logger.logAccess(BASE);
    expect(lines).toEqual([]);
    logger.logAccess({ ...BASE, status: 500 });
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'error', status: 500 });
  });
});

describe('isoTimeField', () => {
  it('formats the time as pino’s isoTime does, once per millisecond', () => {
    let now = Date.UTC(2026, 10, 30, 4, 5, 6, 789);
    let formatted = 0;
    const field = isoTimeField(() => {
      formatted++;
      return now;
    });
    expect(field()).toBe(',"time":"2026-11-30T04:05:06.789Z"');
    const first = field();
    expect(field()).toBe(first);
    now += 1;
    expect(field()).toBe(',"time":"2026-11-30T04:05:06.790Z"');
    expect(formatted).toBe(4);
    expect(pino.stdTimeFunctions.isoTime()).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
  });
});
