import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const PAGE = (message: string): string =>
  `<!doctype html><meta charset="utf-8"><title>nest-mcp-oauth doctor</title><p>${message}</p><p>You can close this tab and go back to the terminal.</p>`;

/**
 * The redirect URI of a native client (RFC 8252 §7.3): a one-shot listener on 127.0.0.1 that
 * takes the first request to /callback and hands over its query parameters.
 */
export class LoopbackRedirect {
  private constructor(
    private readonly server: Server,
    readonly redirectUri: string,
    private readonly received: Promise<URLSearchParams>,
  ) {}

  static async start(): Promise<LoopbackRedirect> {
    let deliver!: (params: URLSearchParams) => void;
    const received = new Promise<URLSearchParams>((resolve) => (deliver = resolve));
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/callback') {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not the redirect URI.');
        return;
      }
      const failed = url.searchParams.has('error');
      response
        .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
        .end(
          PAGE(
            failed
              ? 'The authorization server refused the sign-in; the terminal says why.'
              : 'Signed in; the doctor carries on.',
          ),
        );
      deliver(url.searchParams);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new LoopbackRedirect(server, `http://127.0.0.1:${port}/callback`, received);
  }

  /** The callback's parameters, or undefined when none came in time. */
  async wait(timeoutMs: number): Promise<URLSearchParams | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([this.received, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
