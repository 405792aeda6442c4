import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, HttpCode, Logger, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LoggingModule } from '../../../src/logging/logging.module.js';
import { REQUEST_CLOCK, RequestLifecycle } from '../../../src/logging/request-lifecycle.js';
import { LOG_DESTINATION, RequestLogger } from '../../../src/logging/request-logger.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import { GracefulShutdown } from '../../../src/shutdown/graceful-shutdown.js';
import { configModule } from '../../support/unit-context.js';

/** Milliseconds the fake clock moves while a request is served. */
const SERVING_MS = 42;

describe('RequestLifecycle', () => {
  let app: INestApplication;
  let baseUrl: string;
  let now = 1_000;
  const lines: string[] = [];
  let inFlightDuringRequest: number | undefined;

  @Controller()
  class ProbeController {
    private readonly logger = new Logger('Probe');

    @Get('work')
    work(): { ok: boolean } {
      now += SERVING_MS;
      this.logger.log('working');
      inFlightDuringRequest = app.get(GracefulShutdown).requestsInFlight;
      return { ok: true };
    }

    @Get('healthz')
    @HttpCode(200)
    health(): string {
      return 'ok';
    }
  }

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [await configModule({ LOG_LEVEL: 'log' }), LoggingModule],
      controllers: [ProbeController],
    })
      .overrideProvider(REQUEST_CLOCK)
      .useValue(() => now)
      .overrideProvider(LOG_DESTINATION)
      .useValue({ write: (line: string) => lines.push(line) })
      .compile();
    app = moduleRef.createNestApplication();
    app.use(app.get(RequestLifecycle).followedBy((_request, _response, next) => next()));
    app.useLogger(app.get(RequestLogger));
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  const entries = (): Record<string, unknown>[] => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  it('gives each request an id, in its answer and on every line written while it is served', async () => {
    const response = await fetch(`${baseUrl}/work`);
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries()).toContainEqual(expect.objectContaining({ msg: 'working', context: 'Probe', requestId }));
    const forwarded = await fetch(`${baseUrl}/work`, { headers: { 'X-Request-Id': 'ingress-1.2:3' } });
    expect(forwarded.headers.get('x-request-id')).toBe('ingress-1.2:3');
    const refused = await fetch(`${baseUrl}/work`, { headers: { 'X-Request-Id': 'not a token' } });
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one access line per request when its response closes, timed by the injected clock', async () => {
    const response = await fetch(`${baseUrl}/work`, { headers: { 'X-Request-Id': 'access-line' } });
    await response.text();
    const line = entries().find((entry) => entry.requestId === 'access-line' && entry.msg === 'request completed');
    expect(line).toEqual({
      level: 'info',
      time: expect.any(String),
      pid: process.pid,
      hostname: expect.any(String),
      requestId: 'access-line',
      method: 'GET',
      route: '/work',
      path: '/work',
      status: 200,
      durationMs: SERVING_MS,
      clientIp: '127.0.0.1',
      msg: 'request completed',
    });
    await fetch(`${baseUrl}/healthz`, { headers: { 'X-Request-Id': 'probe' } });
    await fetch(`${baseUrl}/work`, { headers: { 'X-Request-Id': 'after-probe' } });
    expect(entries().some((entry) => entry.requestId === 'probe' && entry.msg === 'request completed')).toBe(false);
  });

  it('counts answered requests, probes included, and keeps each request known to the drain until it closes', async () => {
    const before = await app.get(Metrics).render();
    const count = (text: string, series: string): number =>
      Number(
        text
          .split('\n')
          .find((line) => line.startsWith(`${series} `))
          ?.slice(series.length + 1) ?? 0,
      );
    await (await fetch(`${baseUrl}/work`)).text();
    await (await fetch(`${baseUrl}/healthz`)).text();
    const after = await app.get(Metrics).render();
    const work = 'http_requests_total{method="GET",route="/work",status="200"}';
    expect(count(after, work) - count(before, work)).toBe(1);
    const health = 'http_requests_total{method="GET",route="/healthz",status="200"}';
    expect(count(after, health) - count(before, health)).toBe(1);
    // 42 ms on the injected clock: in the 0.05 s bucket, not in the 0.025 s one.
    expect(count(after, 'http_request_duration_seconds_bucket{le="0.025",method="GET",route="/work"}')).toBe(0);
    expect(count(after, 'http_request_duration_seconds_bucket{le="0.05",method="GET",route="/work"}')).toBeGreaterThan(
      0,
    );
    expect(inFlightDuringRequest).toBe(1);
    expect(app.get(GracefulShutdown).requestsInFlight).toBe(0);
  });
});
