import { createServer } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureHttpApplication } from '../../src/app.setup.js';
import type { RawEnvironment } from '../../src/config/environment.js';
import type { ClerkStandIn } from './clerk-stand-in.js';

export interface TestApp {
  app: INestApplication;
  /** http://localhost:<port>, the public base URL the app advertises. */
  baseUrl: string;
  mcpUrl: string;
  close(): Promise<void>;
}

/** A free loopback port, so the app can advertise its own URL before it listens. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The variables that point the app at a Clerk stand-in. */
export function clerkEnvironment(clerk: ClerkStandIn): RawEnvironment {
  return {
    CLERK_SECRET_KEY: clerk.secretKey,
    CLERK_PUBLISHABLE_KEY: clerk.publishableKey,
    CLERK_API_URL: clerk.url,
    CLERK_FRONTEND_API_URL: clerk.issuer,
    UPSTREAM_TIMEOUT_MS: '1000',
  };
}

/**
 * Starts the whole application through the Nest testing module, listening on loopback: against
 * the Clerk stand-in when one is given, otherwise on whatever provider `env` selects. `override`
 * replaces providers (a clock, say) before the module compiles.
 */
export async function startTestApp(
  clerk: ClerkStandIn | null,
  env: RawEnvironment = {},
  port?: number,
  override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<TestApp> {
  port ??= await freePort();
  const baseUrl = `http://localhost:${port}`;
  // LOG_LEVEL=fatal: a JSON line per request would drown the test output (test/e2e/server-process reads them).
  const moduleRef = await override(
    Test.createTestingModule({
      imports: [
        await AppModule.forRoot({
          env: {
            NODE_ENV: 'test',
            LOG_LEVEL: 'fatal',
            PORT: String(port),
            PUBLIC_BASE_URL: baseUrl,
            UPSTREAM_TIMEOUT_MS: '1000',
            ...(clerk ? clerkEnvironment(clerk) : {}),
            ...env,
          },
        }),
      ],
    }),
  ).compile();
  const app = configureHttpApplication(moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error'] }));
  await app.listen(port, '127.0.0.1');
  const mcpPath = env.MCP_PATH ?? '/mcp';
  return { app, baseUrl, mcpUrl: `${baseUrl}${mcpPath}`, close: () => app.close() };
}
