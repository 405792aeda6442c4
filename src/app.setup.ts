import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppConfig } from './config/app-config.js';
import { EmbeddedAuthorizationServer } from './embedded-auth/embedded-auth.module.js';

/** Request headers MCP clients send, which browser clients must be allowed to send cross-origin. */
export const MCP_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'MCP-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID', 'Mcp-Method', 'Mcp-Name'];

/**
 * HTTP settings shared by the real server and the e2e tests, so both answer the same way.
 * CORS is open: tokens travel in a header, never in cookies, so any origin may call; the
 * challenge and session headers are exposed so browser clients can read them.
 */
export function configureHttpApplication(app: NestExpressApplication): NestExpressApplication {
  app.disable('x-powered-by');
  app.enableCors({
    origin: '*',
    methods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: MCP_REQUEST_HEADERS,
    exposedHeaders: ['WWW-Authenticate', 'Mcp-Session-Id'],
    maxAge: 86400,
  });
  mountEmbeddedAuthorizationServer(app);
  app.enableShutdownHooks();
  return app;
}

/**
 * oidc-provider reads its own request bodies, so its routes are mounted ahead of Nest's body
 * parsers (which run from `init()`, after this).
 */
function mountEmbeddedAuthorizationServer(app: NestExpressApplication): void {
  if (app.get(AppConfig).authProvider !== 'embedded') return;
  const embedded = app.get(EmbeddedAuthorizationServer);
  app.use((request: Request, response: Response, next: NextFunction) => (embedded.handles(request.path) ? embedded.handle(request, response) : next()));
}
