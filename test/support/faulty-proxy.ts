import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One misconfiguration of a reverse proxy in front of a correct server, as reported from the field. */
export type ProxyFault =
  /** Routes only the path-suffixed metadata; the root /.well-known/oauth-protected-resource gets a 404 page. */
  | 'drop-root-metadata'
  /** Puts authentication in front of everything, CORS preflights included. */
  | 'preflight-401'
  /** Rejects requests carrying the 2026-07-28 protocol version header, as an older server or a strict gateway does. */
  | 'probe-400'
  /** Never answers a POST to /mcp, like an upstream that hangs behind a proxy without timeouts. */
  | 'hang-mcp'
  /** Sends its upstream's name as Host instead of the client's (nginx's proxy_pass without proxy_set_header Host). */
  | 'rewrite-host';

/** The name a proxy knows its upstream by, which is not the host clients use. */
const UPSTREAM_NAME = 'mcp-backend.internal';

/**
 * A reverse proxy on loopback that forwards to `target` unchanged, keeping the client's Host
 * header (as a correct proxy does), except for its one fault.
 */
export class FaultyProxy {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(port: number, target: string, fault: ProxyFault): Promise<FaultyProxy> {
    const upstream = new URL(target);
    const server = createServer((request, response) => {
      if (!answerFault(fault, request, response))
        relay(request, response, upstream, fault === 'rewrite-host' ? UPSTREAM_NAME : undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new FaultyProxy(server, `http://localhost:${port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers the request itself when the fault applies to it; true when it did. */
function answerFault(fault: ProxyFault, request: IncomingMessage, response: ServerResponse): boolean {
  const path = (request.url ?? '/').split('?')[0];
  if (fault === 'drop-root-metadata' && path === '/.well-known/oauth-protected-resource') {
    response.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body><h1>404 Not Found</h1></body></html>');
    return true;
  }
  if (fault === 'preflight-401' && request.method === 'OPTIONS') {
    response
      .writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' })
      .end('{"error":"unauthorized"}');
    return true;
  }
  if (fault === 'probe-400' && request.headers['mcp-protocol-version'] === '2026-07-28') {
    const error = {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: 'Bad Request: Unsupported protocol version' },
    };
    response.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify(error));
    return true;
  }
  // Taking the request and never answering it; close() ends the connection.
  return fault === 'hang-mcp' && request.method === 'POST' && path === '/mcp';
}

function relay(
  request: IncomingMessage,
  response: ServerResponse,
  upstream: URL,
  hostOverride: string | undefined,
): void {
  const headers = { ...request.headers, ...(hostOverride ? { host: hostOverride } : {}) };
  const outgoing = forward(
    { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  outgoing.on('error', () => response.writeHead(502).end());
  request.pipe(outgoing);
}
