import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics.js';
import { routePattern } from './route-pattern.js';

/** Counts every answered request by route pattern and status, including those refused before routing. */
@Injectable()
export class HttpRequestMetrics {
  constructor(private readonly metrics: Metrics) {}

  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.httpRequest(request.method, routePattern(request), response.statusCode, seconds);
    });
    next();
  };
}
