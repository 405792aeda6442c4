import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request, RequestHandler, Response } from 'express';
import { callerOf } from '../auth/caller.js';
import { httpConfig } from '../config/namespaces.js';
import { clientAddressOf } from '../config/trusted-proxies.js';
import { Metrics } from '../metrics/metrics.js';
import { requestProtocolOf } from '../metrics/request-protocol.js';
import { routePattern } from '../metrics/route-pattern.js';
import { GracefulShutdown } from '../shutdown/graceful-shutdown.js';
import { RequestLogger } from './request-logger.js';

/** Milliseconds on a monotonic clock; tests inject their own. */
export type MonotonicClock = () => number;
export const REQUEST_CLOCK = Symbol('REQUEST_CLOCK');
export const monotonicClock: MonotonicClock = () => performance.now();

/** Probes and scrapes arrive every few seconds and say nothing new; their answers still reach the metrics. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** An X-Request-Id from the ingress is kept when it is a plain token, so one id follows the request through. */
const FORWARDABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * What every request gets before anything else looks at it, in one middleware and one listener on
 * its response: it is known to the drain on SIGTERM, it gets its request id (in the X-Request-Id
 * header and on every log line written while it is served), and when its response closes it is
 * counted in the request metrics (answers sent in full) and written to the access log. Mounted
 * first (app.setup.ts), so requests refused further on are drained, counted and logged too.
 */
@Injectable()
export class RequestLifecycle {
  /** Whether the client's address comes through trusted proxies (see {@link clientAddressOf}). */
  private readonly behindProxies: boolean;

  constructor(
    private readonly shutdown: GracefulShutdown,
    private readonly logger: RequestLogger,
    private readonly metrics: Metrics,
    @Inject(httpConfig.KEY) http: ConfigType<typeof httpConfig>,
    @Inject(REQUEST_CLOCK) private readonly now: MonotonicClock,
  ) {
    this.behindProxies = http.behindProxies;
  }

  /**
   * The middleware, mounted first, with `then` (the fixed response headers, app.setup.ts) run in
   * the same step, one router hop fewer per request, and like the rest of the request with its id.
   */
  followedBy(then: RequestHandler): RequestHandler {
    return (request, response, next) =>
      this.logger.withRequestId(this.begin(request, response), then, request, response, next);
  }

  /** Starts the request's bookkeeping; the rest happens when its response closes. Gives its id. */
  private begin(request: Request, response: Response): string {
    const startedAt = this.now();
    const forwarded = request.headers['x-request-id'];
    const requestId =
      typeof forwarded === 'string' && FORWARDABLE_REQUEST_ID.test(forwarded) ? forwarded : randomUUID();
    response.setHeader('X-Request-Id', requestId);
    this.shutdown.admit(response);
    // Read once, while the connection is surely open; a closed socket no longer knows its peer.
    const clientIp = clientAddressOf(request, this.behindProxies);
    response.on('close', () => this.settle(request, response, requestId, startedAt, clientIp));
    return requestId;
  }

  private settle(
    request: Request,
    response: Response,
    requestId: string,
    startedAt: number,
    clientIp: string | undefined,
  ): void {
    const elapsedMs = this.now() - startedAt;
    this.shutdown.release(response);
    const route = routePattern(request);
    const protocol = requestProtocolOf(request);
    // Only answers sent in full ('finish' came before this 'close') are counted, as answered requests.
    if (response.writableFinished)
      this.metrics.httpRequest(request.method, route, response.statusCode, elapsedMs / 1000, protocol);
    const path = request.path;
    if (UNLOGGED_PATHS.has(path)) return;
    this.logger.logAccess({
      requestId,
      method: request.method,
      route,
      path,
      status: response.statusCode,
      durationMs: Math.round(elapsedMs),
      clientIp,
      // Read now, after the bearer guard has attached the identity.
      identity: callerOf(request)?.identity,
      protocol,
      completed: !request.readableAborted && response.writableFinished,
    });
  }
}
