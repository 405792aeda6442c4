import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ConfigType } from '@nestjs/config';
import cors, { type CorsOptions } from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { httpConfig, mcpConfig, serverConfig } from './config/namespaces.js';
import { RequestLifecycle } from './logging/request-lifecycle.js';
import { MOUNTED_PROVIDER_ROUTES, type MountedProviderRoutes, type ProviderRoutes } from './providers/provider-seam.js';
import { formBodyWanted, jsonBodyWanted } from './unread-refused-bodies.js';

/** Request headers MCP clients send, which browser clients must be allowed to send cross-origin. */
export const MCP_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'MCP-Protocol-Version',
  'Mcp-Session-Id',
  'Last-Event-ID',
  'Mcp-Method',
  'Mcp-Name',
];

/**
 * Open to every origin: tokens travel in a header, never in cookies, so any origin may call; the
 * challenge and session headers are exposed so browser clients can read them. A fixed origin, so
 * the headers of an answer that is not a preflight are the same for every request.
 */
const CORS: CorsOptions & { origin: string } = {
  origin: '*',
  methods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
  allowedHeaders: MCP_REQUEST_HEADERS,
  exposedHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'Retry-After', 'X-Request-Id'],
  maxAge: 86400,
};

type NodeMiddleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * HTTP settings shared by the real server and the e2e tests, so both answer the same way.
 */
export function configureHttpApplication(app: NestExpressApplication): NestExpressApplication {
  const http = app.get<string, ConfigType<typeof httpConfig>>(httpConfig.KEY);
  const server = app.get<string, ConfigType<typeof serverConfig>>(serverConfig.KEY);
  const mcp = app.get<string, ConfigType<typeof mcpConfig>>(mcpConfig.KEY);
  app.disable('x-powered-by');
  // X-Forwarded-* (client address, protocol) is believed only from these; nothing we advertise depends on it.
  app.set('trust proxy', http.behindProxies ? [...http.trustedProxies] : false);
  configureServerTimeouts(app.getHttpServer(), http);
  // First, so that requests refused further on (CORS, body limit, rate limit) are drained, logged and counted too.
  app.use(app.get(RequestLifecycle).followedBy(fixedResponseHeaders(securityHeaders(server.publicBaseUrl), CORS)));
  mountProviderRoutes(app, app.get<symbol, MountedProviderRoutes>(MOUNTED_PROVIDER_ROUTES, { strict: false }).routes);
  // Registered before init(), so Nest does not add its own parsers with their 100 kB default.
  const bodyLimitBytes = http.bodyLimitBytes;
  app.useBodyParser('json', {
    limit: bodyLimitBytes,
    type: jsonBodyWanted({ mcpPath: server.mcpPath, bodyLimitBytes, authMode: mcp.authMode }),
  });
  app.useBodyParser('urlencoded', { limit: bodyLimitBytes, extended: true, type: formBodyWanted });
  return app;
}

/**
 * REQUEST_TIMEOUT_MS bounds how long a client may take to send its request (slow-loris), never
 * how long an answer or an event stream may run. Keep-alive outlasts the idle timeout of the
 * proxies in front (nginx and cloud load balancers use 60 s), so they never reuse a connection we
 * have just closed.
 */
function configureServerTimeouts(server: Server, config: ConfigType<typeof httpConfig>): void {
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = config.requestTimeoutMs;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // Node enforces both on a periodic sweep, 30 s apart by default. The interval is a createServer()
  // option, which Nest does not pass through; Node reads the property when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    Math.ceil(config.requestTimeoutMs / 4),
  );
}

/**
 * helmet's headers, minus what would get in the way: the resources are meant to be fetched
 * cross-origin (CORS above decides who may read them), and the embedded sign-in pages are opened
 * by clients in popups and redirect to the client's own origin after their forms are posted, so
 * neither Cross-Origin-Opener-Policy nor a CSP form-action may apply. The CSP itself suits JSON
 * and those pages (inline styles only, no scripts).
 */
function securityHeaders(publicBaseUrl: string): Parameters<typeof helmet>[0] {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    frameguard: { action: 'deny' },
    // Browsers ignore HSTS over plain http; sending it there would only mislead.
    strictTransportSecurity: publicBaseUrl.startsWith('https://'),
  };
}

/**
 * helmet's headers depend on its options only, never on the request (no CSP nonces here), and so do
 * the CORS headers of every answer but a preflight, the origin being fixed: both are recorded once,
 * from helmet and cors themselves, and set on every answer in one step, instead of running helmet's
 * dozen middleware functions and cors per request. Preflights (OPTIONS) are answered by cors.
 */
function fixedResponseHeaders(
  helmetOptions: Parameters<typeof helmet>[0],
  corsOptions: CorsOptions & { origin: string },
): RequestHandler {
  const preflight = cors(corsOptions);
  const security = recordedHeaders(helmet(helmetOptions));
  const crossOrigin = recordedHeaders(preflight);
  return (request, response, next) => {
    security.apply(response);
    if (request.method === 'OPTIONS') return preflight(request, response, next);
    crossOrigin.apply(response);
    next();
  };
}

/** What a middleware does to the headers of a GET answer, recorded from one run and replayed. */
function recordedHeaders(middleware: NodeMiddleware): { apply(response: ServerResponse): void } {
  const headers = new Map<string, string | number | readonly string[]>();
  const removed: string[] = [];
  const recorder = {
    getHeader: (name: string) => headers.get(name),
    setHeader: (name: string, value: string | number | readonly string[]) => headers.set(name, value),
    removeHeader: (name: string) => removed.push(name),
  };
  middleware({ method: 'GET', headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  const set = [...headers];
  return {
    apply(response) {
      for (const name of removed) response.removeHeader(name);
      for (const [name, value] of set) response.setHeader(name, value);
    },
  };
}

/**
 * The authorization provider's own routes, if it has any (the embedded server's: oidc-provider
 * reads its own request bodies), mounted ahead of Nest's body parsers, which run from `init()`,
 * after this.
 */
function mountProviderRoutes(app: NestExpressApplication, routes: ProviderRoutes | null): void {
  if (!routes) return;
  app.use((request: Request, response: Response, next: NextFunction) =>
    routes.handles(request.path) ? routes.handle(request, response) : next(),
  );
}
