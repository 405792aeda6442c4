import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { CountedCounter, CountedHistogram } from '../../../src/metrics/counted-metrics.js';
import { Metrics } from '../../../src/metrics/metrics.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];

/** prom-client's own rendering of one metric, for comparison. */
async function promClientText(build: (registry: Registry) => void): Promise<string> {
  const registry = new Registry();
  build(registry);
  return (await registry.metrics()).trimEnd();
}

describe('counted metrics', () => {
  it('render a counter exactly as prom-client does, labels left out where a value is undefined', async () => {
    const counted = new CountedCounter('requests_total', 'Requests, by "kind" \\ and\nline.', [
      'method',
      'route',
      'era',
    ]);
    const expected = await promClientText((registry) => {
      const counter = new Counter({
        name: 'requests_total',
        help: 'Requests, by "kind" \\ and\nline.',
        labelNames: ['method', 'route', 'era'],
        registers: [registry],
      });
      counter.inc({ method: 'GET', route: '/a"b\\c\nd' });
      counter.inc({ method: 'POST', route: '/mcp', era: 'legacy' });
      counter.inc({ method: 'GET', route: '/a"b\\c\nd' });
    });
    counted.inc(['GET', '/a"b\\c\nd', undefined]);
    counted.inc(['POST', '/mcp', 'legacy']);
    counted.inc(['GET', '/a"b\\c\nd', undefined]);
    expect(counted.render()).toBe(expected);
  });

  it('render a histogram exactly as prom-client does, observations above every bound included', async () => {
    const observations: [string, number][] = [
      ['a', 0.0005],
      ['a', 0.001],
      ['b', 0.05],
      ['a', 3],
      ['a', 0.3],
      ['b', 0.1],
    ];
    const counted = new CountedHistogram('latency_seconds', 'Latency.', ['tool'], BOUNDS);
    const expected = await promClientText((registry) => {
      const histogram = new Histogram({
        name: 'latency_seconds',
        help: 'Latency.',
        labelNames: ['tool'],
        buckets: BOUNDS,
        registers: [registry],
      });
      for (const [tool, seconds] of observations) histogram.observe({ tool }, seconds);
    });
    for (const [tool, seconds] of observations) counted.observe([tool], seconds);
    expect(counted.render()).toBe(expected);
  });

  it('render a metric nothing was counted in as HELP and TYPE only, as prom-client does', async () => {
    const expected = await promClientText(
      (registry) => new Counter({ name: 'idle_total', help: 'Idle.', labelNames: ['x'], registers: [registry] }),
    );
    expect(new CountedCounter('idle_total', 'Idle.', ['x']).render()).toBe(expected);
  });

  it('come first in the scrape, followed by the default process metrics', async () => {
    const metrics = new Metrics();
    metrics.httpRequest('POST', '/mcp', 200, 0.002, { era: 'modern', protocolVersion: '2026-07-28' });
    metrics.httpRequest('GET', '(unmatched)', 404, 0.0001);
    const text = await metrics.render();
    expect(text).toMatch(/^# HELP http_requests_total /);
    expect(text).toContain(
      'http_requests_total{method="POST",route="/mcp",status="200",era="modern",protocol_version="2026-07-28"} 1\n',
    );
    expect(text).toContain('http_requests_total{method="GET",route="(unmatched)",status="404"} 1\n');
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.0025",method="POST",route="/mcp",era="modern",protocol_version="2026-07-28"} 1\n',
    );
    expect(text).toContain('\n\n# HELP mcp_tool_call_duration_seconds ');
    expect(text).toContain('\n\n# HELP process_cpu_user_seconds_total ');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('\n\n\n');
  });
});
