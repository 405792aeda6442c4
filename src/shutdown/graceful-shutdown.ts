import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type INestApplication } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { operationsConfig } from '../config/namespaces.js';

/**
 * Drains the server on SIGTERM: readiness fails at once, the listener closes so no new connection
 * is accepted, requests already running finish (their connections close after the answer instead
 * of being kept alive), and whatever still runs when the grace period ends is cut.
 */
@Injectable()
export class GracefulShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);
  private readonly inFlight = new Set<ServerResponse>();
  private server?: Server;
  private drainingSince?: number;

  constructor(@Inject(operationsConfig.KEY) private readonly operations: ConfigType<typeof operationsConfig>) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * A request has arrived (RequestLifecycle, mounted first): it is known to the drain until
   * {@link release} says its response has closed.
   */
  admit(response: ServerResponse): void {
    if (this.draining) response.setHeader('Connection', 'close');
    this.inFlight.add(response);
  }

  release(response: ServerResponse): void {
    this.inFlight.delete(response);
    // Node keeps a finished keep-alive connection open; during a drain nothing more should come in on it.
    if (this.draining) this.server?.closeIdleConnections();
  }

  /** Drains the HTTP server within the grace period, then runs Nest's shutdown hooks. */
  async drainAndClose(app: INestApplication): Promise<void> {
    await this.drain(app.getHttpServer() as Server);
    await app.close();
  }

  async drain(server: Server): Promise<void> {
    if (this.draining) return;
    this.server = server;
    this.drainingSince = Date.now();
    this.logger.log(
      `Draining: ${this.requestsInFlight} requests in flight, grace period ${this.operations.shutdownGraceMs / 1000} s`,
    );
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const response of this.inFlight) {
      if (!response.headersSent) response.setHeader('Connection', 'close');
      // A GET event stream carries no request to finish: end it now so its client reconnects elsewhere.
      else if (
        response.req.method === 'GET' &&
        String(response.getHeader('content-type')).startsWith('text/event-stream')
      )
        response.destroy();
    }
    const grace = new AbortController();
    const outcome = await Promise.race([
      closed.then(() => 'drained' as const),
      sleep(this.operations.shutdownGraceMs, 'expired' as const, { signal: grace.signal }),
    ]);
    grace.abort();
    if (outcome === 'expired') {
      this.logger.warn(`Grace period over: closing ${this.requestsInFlight} requests still running`);
      server.closeAllConnections();
      await closed;
    }
    // The server reports closed before the cut responses have said so; their handlers (the request
    // log among them) run first.
    await Promise.all([...this.inFlight].map((response) => once(response, 'close')));
    this.logger.log(`Drained in ${Date.now() - this.drainingSince} ms`);
  }
}
