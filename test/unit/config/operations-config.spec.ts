import { describe, expect, it } from '@jest/globals';
import { loadAppConfig } from '../../../src/config/app-config.js';
import { configurationProblems } from '../../support/configuration-problems.js';

const problemsOf = configurationProblems;

describe('operations configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadAppConfig({});
    expect(config.operations.logFormat).toBe('auto');
    expect(config.http.trustedProxies).toEqual([]);
    expect(config.operations.shutdownGraceMs).toBe(25_000);
    expect(config.operations.readinessCacheMs).toBe(5_000);
    expect(config.operations.rateLimit).toEqual({ windowMs: 60_000, perAddress: 600, perUser: 120 });
    expect(config.http.bodyLimitBytes).toBe(1_048_576);
    expect(config.http.requestTimeoutMs).toBe(30_000);
    expect(config.http.keepAliveTimeoutMs).toBe(65_000);
  });

  it('reads TRUSTED_PROXIES as Express trust-proxy entries', () => {
    expect(
      loadAppConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7,fd00::/8 ,loopback' }).http.trustedProxies,
    ).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
  });

  it('names a bad proxy entry and other bad values', () => {
    for (const value of ['10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1', 'true', '::1/129'])
      expect(problemsOf({ TRUSTED_PROXIES: value })).toEqual([
        expect.stringMatching(/^TRUSTED_PROXIES must be a comma-separated list of proxy addresses/),
      ]);
    expect(
      problemsOf({
        LOG_FORMAT: 'xml',
        RATE_LIMIT_PER_IP: '-1',
        BODY_LIMIT_BYTES: '10',
        SHUTDOWN_GRACE_SECONDS: 'soon',
      }),
    ).toEqual(
      expect.arrayContaining([
        'LOG_FORMAT must be one of auto, json, pretty (got "xml")',
        'RATE_LIMIT_PER_IP must be a whole number from 0 to 1000000',
        expect.stringMatching(/^BODY_LIMIT_BYTES must be a whole number of bytes from 1024/),
        expect.stringMatching(/^SHUTDOWN_GRACE_SECONDS must be a whole number of seconds/),
      ]),
    );
  });

  it('turns a rate limit off with 0', () => {
    expect(loadAppConfig({ RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_USER: '0' }).operations.rateLimit).toMatchObject({
      perAddress: 0,
      perUser: 0,
    });
  });
});
