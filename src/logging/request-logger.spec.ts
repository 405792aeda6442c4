import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from '../config/app-config.js';
import { RequestLogger } from './request-logger.js';

describe('RequestLogger', () => {
  it('maps LOG_LEVEL, in Nest’s terms, to pino’s levels', () => {
    const levels = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
    for (const [logLevel, pinoLevel] of Object.entries(levels)) expect(new RequestLogger(loadAppConfig({ LOG_LEVEL: logLevel })).logger.level).toBe(pinoLevel);
  });
});
