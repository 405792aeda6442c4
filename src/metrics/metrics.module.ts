import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';
import { RoutePatternRecorder } from './route-pattern.js';

/**
 * Prometheus metrics at /metrics. A module that counts what it does through {@link Metrics} imports
 * this one; every request is counted by the pattern of the route it reached (see RequestLifecycle).
 */
@Module({
  controllers: [MetricsController],
  providers: [Metrics, { provide: APP_GUARD, useClass: RoutePatternRecorder }],
  exports: [Metrics],
})
export class MetricsModule {}
