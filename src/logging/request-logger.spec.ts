import type { ServerResponse } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { loadAppConfig } from '../config/app-config.js';
import { recordRequestProtocol } from '../metrics/request-protocol.js';
import { accessLogFields, RequestLogger } from './request-logger.js';

describe('RequestLogger', () => {
  it('maps LOG_LEVEL, in Nest’s terms, to pino’s levels', () => {
    const levels = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
    for (const [logLevel, pinoLevel] of Object.entries(levels))
      expect(new RequestLogger(loadAppConfig({ LOG_LEVEL: logLevel }).operations).logger.level).toBe(pinoLevel);
  });

  it('names the protocol era and version on MCP requests, and nothing of the kind on others', () => {
    const request = (path: string): Request => ({ method: 'POST', path, ip: '127.0.0.1' }) as Request;
    const response = { statusCode: 200 } as ServerResponse;
    const mcp = request('/mcp');
    recordRequestProtocol(mcp, { era: 'modern', protocolVersion: '2026-07-28' });
    expect(accessLogFields(mcp, response, 3)).toMatchObject({
      path: '/mcp',
      status: 200,
      era: 'modern',
      protocolVersion: '2026-07-28',
    });
    const other = accessLogFields(request('/healthz'), response, 1);
    expect(other).not.toHaveProperty('era');
    expect(other).not.toHaveProperty('protocolVersion');
  });
});
