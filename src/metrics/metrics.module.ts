import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { HttpRequestMetrics } from './http-request-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { RoutePatternRecorder } from './route-pattern.js';

/**
 * Prometheus metrics at /metrics. Global, so any module can count what it does through {@link Metrics};
 * every request is counted by the pattern of the route it reached.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [Metrics, HttpRequestMetrics, { provide: APP_GUARD, useClass: RoutePatternRecorder }],
  exports: [Metrics, HttpRequestMetrics],
})
export class MetricsModule {}
