import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import express, { type Request, type Response } from 'express';
import { JsonRpcHttpError } from '../../../src/errors/errors.js';
import { DnsRebindingGuard } from '../../../src/mcp/dns-rebinding.guard.js';
import { configModule, httpContext } from '../../support/unit-context.js';

/** The guard's answer to one request: passed, or the refusal's message. */
type Verdict = { passed: true } | { passed: false; message: string };

/**
 * The guard, judging real Express requests (so Host and X-Forwarded-Host are read as Express reads
 * them) from an app on 127.0.0.1 whose `trust proxy` follows TRUSTED_PROXIES, as the product's does.
 * Allowed: the host of PUBLIC_BASE_URL, localhost:3000.
 */
describe('DnsRebindingGuard', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    closing.closeAllConnections();
    await new Promise((resolve) => closing.close(resolve));
  });

  async function judgeWith(trustedProxies: string): Promise<(headers: Record<string, string>) => Promise<Verdict>> {
    const moduleRef = await Test.createTestingModule({
      imports: [await configModule({ TRUSTED_PROXIES: trustedProxies })],
      providers: [DnsRebindingGuard],
    }).compile();
    const guard = moduleRef.get(DnsRebindingGuard);
    const app = express();
    app.set('trust proxy', trustedProxies ? trustedProxies.split(',') : false);
    app.post('/mcp', (request: Request, response: Response) => {
      try {
        guard.canActivate(httpContext(request));
        response.json({ passed: true });
      } catch (error) {
        if (!(error instanceof JsonRpcHttpError)) throw error;
        response.json({ passed: false, message: error.message });
      }
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return (headers) =>
      new Promise((resolve, reject) => {
        const sent = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/mcp', headers }, (answer) => {
          let body = '';
          answer.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          answer.on('end', () => resolve(JSON.parse(body) as Verdict));
        });
        sent.on('error', reject).end();
      });
  }

  it('with no proxy trusted, judges the Host header and ignores X-Forwarded-Host', async () => {
    const judge = await judgeWith('');
    expect(await judge({ Host: 'localhost:3000', 'X-Forwarded-Host': 'evil.example' })).toEqual({ passed: true });
    expect(await judge({ Host: 'LocalHost:3000' })).toEqual({ passed: true });
    expect(await judge({ Host: 'evil.example', 'X-Forwarded-Host': 'localhost:3000' })).toEqual({
      passed: false,
      message: expect.stringContaining('the host evil.example'),
    });
  });

  it('behind a trusted proxy, judges the host it forwarded', async () => {
    const judge = await judgeWith('loopback');
    expect(await judge({ Host: 'evil.example', 'X-Forwarded-Host': 'localhost:3000' })).toEqual({ passed: true });
    expect(await judge({ Host: 'localhost:3000', 'X-Forwarded-Host': 'evil.example, localhost:3000' })).toEqual({
      passed: false,
      message: expect.stringContaining('the host evil.example'),
    });
  });

  it('refuses an Origin that is not allowed, and lets a request without one through', async () => {
    const judge = await judgeWith('');
    expect(await judge({ Host: 'localhost:3000', Origin: 'https://evil.example' })).toEqual({
      passed: false,
      message: expect.stringContaining('the origin https://evil.example'),
    });
    expect(await judge({ Host: 'localhost:3000', Origin: 'http://localhost:3000' })).toEqual({ passed: true });
  });
});
