import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from '../config/app-config.js';
import { RequestLogger, type AccessRecord } from './request-logger.js';

describe('RequestLogger', () => {
  it('maps LOG_LEVEL, in Nest’s terms, to pino’s levels', () => {
    const levels = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
    for (const [logLevel, pinoLevel] of Object.entries(levels))
      expect(new RequestLogger(loadAppConfig({ LOG_LEVEL: logLevel }).operations).logger.level).toBe(pinoLevel);
  });

  it('names the protocol era and version on MCP requests, and nothing of the kind on others', () => {
    const lines: string[] = [];
    const logger = new RequestLogger(loadAppConfig({}).operations, { write: (line: string) => lines.push(line) });
    const record = (path: string): AccessRecord => ({
      requestId: 'r1',
      method: 'POST',
      route: path,
      path,
      status: 200,
      durationMs: 3,
      clientIp: '127.0.0.1',
      completed: true,
    });
    logger.logAccess({ ...record('/mcp'), protocol: { era: 'modern', protocolVersion: '2026-07-28' } });
    logger.logAccess(record('/healthz'));
    const [mcp, other] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(mcp).toMatchObject({ path: '/mcp', status: 200, era: 'modern', protocolVersion: '2026-07-28' });
    expect(other).not.toHaveProperty('era');
    expect(other).not.toHaveProperty('protocolVersion');
  });
});
