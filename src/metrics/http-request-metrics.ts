import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics.js';
import { routePattern } from './route-pattern.js';
import { stopwatch } from './stopwatch.js';

/** Counts every answered request by route pattern and status, including those refused before routing. */
@Injectable()
export class HttpRequestMetrics {
  constructor(private readonly metrics: Metrics) {}

  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const elapsed = stopwatch();
    response.once('finish', () => {
      this.metrics.httpRequest(request.method, routePattern(request), response.statusCode, elapsed());
    });
    next();
  };
}
