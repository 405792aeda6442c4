import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { CLOCK } from '../../src/auth/clock.js';
import { configureHttpApplication } from '../../src/app.setup.js';
import type { RawEnvironment } from '../../src/config/environment.js';
import { ClerkStandIn } from './clerk-stand-in.js';
import type { TestClock } from './test-clock.js';

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
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
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

export interface StartOptions {
  /** The port to listen on; a free one when left out. */
  port?: number;
  /** Replaces the app's {@link CLOCK}, so a test moves time instead of waiting. */
  clock?: TestClock;
  /** Replaces other providers before the module compiles. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/**
 * Starts the whole application through the Nest testing module, listening on loopback: against
 * the Clerk stand-in when one is given, otherwise on whatever provider `env` selects.
 */
export async function startTestApp(
  clerk: ClerkStandIn | null,
  env: RawEnvironment = {},
  { port, clock, override = (builder) => builder }: StartOptions = {},
): Promise<TestApp> {
  port ??= await freePort();
  const baseUrl = `http://localhost:${port}`;
  // LOG_LEVEL=fatal: a JSON line per request would drown the test output (test/e2e/server-process reads them).
  const builder = Test.createTestingModule({
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
  });
  const moduleRef = await override(clock ? builder.overrideProvider(CLOCK).useValue(clock.now) : builder).compile();
  const app = configureHttpApplication(moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error'] }));
  await app.listen(port, '127.0.0.1');
  const mcpPath = env.MCP_PATH ?? '/mcp';
  const close = async (): Promise<void> => {
    await app.close();
    // Every connection is closed now; one turn of the event loop lets this process's clients (fetch's
    // pool) read those closes, so an app started again on the port is not sent requests on dead sockets.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { app, baseUrl, mcpUrl: `${baseUrl}${mcpPath}`, close };
}

/** Runs `body` against an app started with `env`, and always closes the app. */
export async function withApp(
  clerk: ClerkStandIn | null,
  env: RawEnvironment,
  body: (server: TestApp) => Promise<void>,
  options: StartOptions = {},
): Promise<void> {
  const server = await startTestApp(clerk, env, options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** What {@link useClerkStandIn} started, readable once the enclosing block's `beforeAll` has run. */
export interface StandInFixture {
  readonly clerk: ClerkStandIn;
}

/** What {@link useClerkApp} started, readable once the enclosing block's `beforeAll` has run. */
export interface ClerkAppFixture extends StandInFixture {
  readonly server: TestApp;
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is read before beforeAll has started it`);
  return value;
}

/** Clears what a test may have set on the stand-in, so the next test starts from a well-behaved issuer. */
function resetStandIn(clerk: ClerkStandIn | undefined): void {
  clerk?.setFault(null);
  clerk?.setMetadataOverrides({});
}

/**
 * A Clerk stand-in for the enclosing `describe` block: started before its tests, closed after
 * them, its faults and metadata overrides cleared after each test.
 */
export function useClerkStandIn(): StandInFixture {
  let clerk: ClerkStandIn | undefined;
  beforeAll(async () => {
    clerk = await ClerkStandIn.start();
  });
  afterEach(() => resetStandIn(clerk));
  afterAll(async () => clerk?.close());
  return {
    get clerk() {
      return started(clerk, 'The Clerk stand-in');
    },
  };
}

/** A Clerk stand-in and one app on it, started with `env`, for the enclosing `describe` block. */
export function useClerkApp(env: RawEnvironment = {}, options: StartOptions = {}): ClerkAppFixture {
  let clerk: ClerkStandIn | undefined;
  let server: TestApp | undefined;
  beforeAll(async () => {
    clerk = await ClerkStandIn.start();
    server = await startTestApp(clerk, env, options);
  });
  afterEach(() => resetStandIn(clerk));
  afterAll(async () => {
    await server?.close();
    await clerk?.close();
  });
  return {
    get clerk() {
      return started(clerk, 'The Clerk stand-in');
    },
    get server() {
      return started(server, 'The app');
    },
  };
}
