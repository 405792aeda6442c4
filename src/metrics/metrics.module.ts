import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { HttpRequestMetrics } from './http-request-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { RoutePatternRecorder } from './route-pattern.js';

/**
 * Prometheus metrics at /metrics. A module that counts what it does through {@link Metrics} imports
 * this one; every request is counted by the pattern of the route it reached.
 */
@Module({
  controllers: [MetricsController],
  providers: [Metrics, HttpRequestMetrics, { provide: APP_GUARD, useClass: RoutePatternRecorder }],
  exports: [Metrics, HttpRequestMetrics],
})
export class MetricsModule {}
