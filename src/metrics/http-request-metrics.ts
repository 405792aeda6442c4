import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Metrics } from './metrics.js';
import { requestProtocolOf } from './request-protocol.js';
import { routePattern } from './route-pattern.js';
import { stopwatch } from './stopwatch.js';

/**
 * Counts every answered request by route pattern and status, including those refused before routing;
 * MCP requests also by the protocol era and version the endpoint found.
 */
@Injectable()
export class HttpRequestMetrics {
  constructor(private readonly metrics: Metrics) {}

  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const elapsed = stopwatch();
    response.once('finish', () => {
      this.metrics.httpRequest(
        request.method,
        routePattern(request),
        response.statusCode,
        elapsed(),
        requestProtocolOf(request),
      );
    });
    next();
  };
}
