/**
 * The server as Kubernetes runs it: `node dist/main.js` in a process of its own (built here when
 * dist/ is older than the sources), against the Clerk stand-in. These tests read what only a real
 * process shows: its log lines on stdout, and what SIGTERM does to it.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ensureBuilt } from '../support/compiled-dist.js';
import { RawHttpConnection } from '../support/raw-http.js';
import { ServerProcess, spawnServer, type LogLine } from '../support/server-process.js';
import { clerkEnvironment, useClerkStandIn } from '../support/test-app.js';

const ACCEPT = 'application/json, text/event-stream';
const WHOAMI = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'whoami', arguments: {} },
});

interface Outcome {
  requestId: string;
  status?: number;
  body?: string;
  /** The client-side error code when no answer came: ECONNREFUSED, ECONNRESET, ... */
  error?: string;
}

const errorCode = (error: Error): string => (error as NodeJS.ErrnoException).code ?? error.message;

function whoamiRequest(
  port: number,
  token: string,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): ClientRequest {
  return httpRequest({
    host: '127.0.0.1',
    port,
    path: '/mcp',
    method: 'POST',
    // A connection per request, as a client behind a load balancer would open.
    agent: false,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: ACCEPT,
      'Content-Length': Buffer.byteLength(WHOAMI),
      'X-Request-Id': requestId,
      ...extraHeaders,
    },
  });
}

function outcomeOf(request: ClientRequest, requestId: string): Promise<Outcome> {
  return new Promise((resolve) => {
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ requestId, status: response.statusCode, body }));
      response.on('error', (error) => resolve({ requestId, error: errorCode(error) }));
    });
    request.on('error', (error) => resolve({ requestId, error: errorCode(error) }));
  });
}

/** A tools/call whose headers the server has read (it answered 100 Continue) and whose body is held back. */
class HeldRequest {
  readonly outcome: Promise<Outcome>;
  readonly accepted: Promise<void>;
  private readonly request: ClientRequest;

  constructor(port: number, token: string, requestId: string) {
    this.request = whoamiRequest(port, token, requestId, { Expect: '100-continue' });
    this.accepted = new Promise((resolve) => this.request.once('continue', () => resolve()));
    this.outcome = outcomeOf(this.request, requestId);
    this.request.flushHeaders();
  }

  finish(): void {
    this.request.end(WHOAMI);
  }
}

/** A keep-alive connection that has had one answer, holding a second request whose headers are not finished. */
class ProbeConnection {
  private constructor(private readonly connection: RawHttpConnection) {}

  static async open(port: number, path: string): Promise<ProbeConnection> {
    const connection = await RawHttpConnection.open(port);
    connection.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    const first = await connection.nextAnswer();
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    // The request has begun: the server must not count this connection as idle.
    connection.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n`);
    return new ProbeConnection(connection);
  }

  /** Ends the held request's headers and returns the status line of its answer. */
  async finish(): Promise<string> {
    this.connection.write('\r\n');
    const answer = await this.connection.nextAnswer();
    this.connection.destroy();
    return answer.split('\r\n')[0];
  }
}

beforeAll(ensureBuilt, 120_000);

describe('the server process', () => {
  const fixture = useClerkStandIn();
  let server: ServerProcess | undefined;
  const start = (env: Record<string, string>): Promise<ServerProcess> =>
    ServerProcess.start({ ...clerkEnvironment(fixture.clerk), ...env });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('drains on SIGTERM: readiness fails at once, no accepted request fails, the grace period bounds the rest, exit code 0', async () => {
    server = await start({ SHUTDOWN_GRACE_SECONDS: '1', RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_USER: '0' });
    const { port } = server;
    const token = await fixture.clerk.mintJwt({ clientId: 'client_drain' });

    const probe = await ProbeConnection.open(port, '/readyz');
    const held = Array.from({ length: 3 }, (_, index) => new HeldRequest(port, token, `held-${index}`));
    const stuck = new HeldRequest(port, token, 'stuck');
    await Promise.all([...held, stuck].map((request) => request.accepted));

    // A steady stream of tool calls from four clients, each on fresh connections.
    const stream: (Outcome & { afterSigterm: boolean })[] = [];
    let sigtermSent = false;
    let sequence = 0;
    let fortyServed: () => void = () => undefined;
    const steady = new Promise<void>((resolve) => (fortyServed = resolve));
    const client = async (): Promise<void> => {
      for (let attempt = 0; attempt < 1000; attempt++) {
        const requestId = `stream-${sequence++}`;
        const outcome = await outcomeOf(whoamiRequest(port, token, requestId).end(WHOAMI), requestId);
        stream.push({ ...outcome, afterSigterm: sigtermSent });
        if (stream.filter((served) => served.status === 200).length >= 40) fortyServed();
        // The listener is closed: the drain has begun and this client would go to another replica.
        if (outcome.error === 'ECONNREFUSED') return;
      }
    };
    const clients = Array.from({ length: 4 }, () => client());
    await steady;

    server.signal('SIGTERM');
    sigtermSent = true;
    await server.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('Draining'));
    expect(await probe.finish()).toBe('HTTP/1.1 503 Service Unavailable');

    for (const request of held) request.finish();
    for (const outcome of await Promise.all(held.map((request) => request.outcome))) {
      expect(outcome.status).toBe(200);
      expect(outcome.body).toContain(fixture.clerk.defaultUser.id);
    }
    await Promise.all(clients);
    // Still running when the grace period ended: cut, and the process exits all the same.
    expect((await stuck.outcome).status).toBeUndefined();
    expect(await server.exited).toEqual({ code: 0, signal: null });

    // An accepted request is one the server read: it logged it. None of those may have failed.
    const logged = new Map(
      server
        .logs()
        .filter(
          (line) =>
            typeof line.requestId === 'string' && typeof line.msg === 'string' && line.msg.startsWith('request '),
        )
        .map((line) => [line.requestId as string, line]),
    );
    const failed = stream.filter(
      (outcome) => outcome.status !== 200 && (outcome.status !== undefined || logged.has(outcome.requestId)),
    );
    expect(failed).toEqual([]);
    expect(stream.filter((outcome) => outcome.status === 200).length).toBeGreaterThanOrEqual(40);
    expect(stream.filter((outcome) => outcome.error !== undefined && !outcome.afterSigterm)).toEqual([]);
    expect(stream.some((outcome) => outcome.error === 'ECONNREFUSED')).toBe(true);
    expect(logged.get('stuck')).toMatchObject({ msg: 'request aborted' });
    expect(server.logs().some((line) => line.msg === 'Grace period over: closing 1 requests still running')).toBe(true);
  });

  it('logs one JSON line per request with its id, route, status, duration, user and client, and never a secret', async () => {
    server = await start({ LOG_LEVEL: 'verbose' });
    const base = `http://127.0.0.1:${server.port}`;
    const token = await fixture.clerk.mintJwt({ clientId: 'client_redaction' });
    const tokenInQuery = await fixture.clerk.mintJwt();
    const expired = await fixture.clerk.mintJwt({ expiresInSeconds: -60 });
    const opaque = fixture.clerk.mintOpaqueToken();
    const cookie = `session-${randomBytes(12).toString('hex')}`;
    const querySecret = `code-${randomBytes(12).toString('hex')}`;
    const rpc = (headers: Record<string, string>, query = ''): Promise<Response> =>
      fetch(`${base}/mcp${query}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: ACCEPT, ...headers },
        body: WHOAMI,
      });

    expect(
      (await rpc({ Authorization: `Bearer ${token}`, Cookie: `sid=${cookie}`, 'X-Request-Id': 'redaction-ok' })).status,
    ).toBe(200);
    expect(
      (
        await rpc(
          { Authorization: `Bearer ${token}`, 'X-Request-Id': 'redaction-query' },
          `?access_token=${tokenInQuery}`,
        )
      ).status,
    ).toBe(400);
    expect((await rpc({ Authorization: `Bearer ${expired}`, 'X-Request-Id': 'redaction-expired' })).status).toBe(401);
    expect((await rpc({ Authorization: `Bearer ${opaque}`, Cookie: `sid=${cookie}` })).status).toBe(200);
    const prm = await fetch(
      `${base}/.well-known/oauth-protected-resource/mcp?code=${querySecret}&token=${querySecret}`,
      { headers: { Cookie: `sid=${cookie}` } },
    );
    expect(prm.status).toBe(200);
    const generatedId = prm.headers.get('x-request-id');
    server.signal('SIGTERM');
    expect((await server.exited).code).toBe(0);

    for (const secret of [
      token,
      tokenInQuery,
      expired,
      opaque,
      cookie,
      querySecret,
      fixture.clerk.secretKey,
      token.split('.')[2],
      expired.split('.')[2],
    ])
      expect(server.output).not.toContain(secret);
    const logs = server.logs(); // every line is JSON
    const line = (requestId: string | null): LogLine | undefined =>
      logs.find(
        (entry) => entry.requestId === requestId && typeof entry.msg === 'string' && entry.msg.startsWith('request '),
      );
    expect(line('redaction-ok')).toMatchObject({
      level: 'info',
      msg: 'request completed',
      method: 'POST',
      route: '/mcp',
      path: '/mcp',
      status: 200,
      durationMs: expect.any(Number),
      userId: fixture.clerk.defaultUser.id,
      clientId: 'client_redaction',
    });
    expect(line('redaction-query')).toMatchObject({ route: '/mcp', path: '/mcp', status: 400 });
    expect(line('redaction-expired')).toMatchObject({ status: 401 });
    expect(line('redaction-expired')).not.toHaveProperty('userId');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line(generatedId)).toMatchObject({
      route: '/.well-known/oauth-protected-resource/*resourcePath',
      status: 200,
    });
  });

  it('starts the embedded default with one authorization server: its start-up runs once', async () => {
    // No Clerk or OIDC settings: the embedded default.
    server = await ServerProcess.start({});
    expect((await fetch(`http://127.0.0.1:${server.port}/.well-known/oauth-authorization-server`)).status).toBe(200);
    server.signal('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const banners = server.logs().filter((line) => line.context === 'EmbeddedAuthorizationServer');
    expect(banners).toHaveLength(1);
    expect(banners[0]?.msg).toContain('EMBEDDED DEVELOPMENT AUTHORIZATION SERVER');
  });

  it('writes human-readable lines with LOG_FORMAT=pretty', async () => {
    server = await start({ LOG_FORMAT: 'pretty' });
    expect((await fetch(`http://127.0.0.1:${server.port}/.well-known/oauth-protected-resource/mcp`)).status).toBe(200);
    server.signal('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(() => JSON.parse(server?.stdoutLines[0] ?? '') as unknown).toThrow();
    expect(server.stdoutLines.some((line) => /INFO.*request completed/.test(line))).toBe(true);
  });
});

describe('a failed start', () => {
  /** `node dist/main.js` run to its end with only these variables, in a directory of its own (no .env). */
  interface Outcome {
    code: number | null;
    stdout: string;
    stderr: string;
  }

  async function failedStart(env: Record<string, string>): Promise<Outcome> {
    const { child, removeWorkDir } = spawnServer(env);
    try {
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const [code] = (await once(child, 'close')) as [number | null];
      return { code, stdout, stderr };
    } finally {
      removeWorkDir();
    }
  }

  /** What production log pipelines need: exit 1, and exactly one JSON line, shaped like the others. */
  function expectOneJsonLine(outcome: Outcome): LogLine {
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe('');
    const lines = outcome.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\u001b[');
    const line = JSON.parse(lines[0]) as LogLine;
    expect(line).toMatchObject({ level: 'fatal', context: 'Bootstrap', pid: expect.any(Number) });
    expect(new Date(String(line.time)).toISOString()).toBe(line.time);
    return line;
  }

  it('refuses an unsafe production configuration in one JSON line, without the secrets it was given', async () => {
    const secret = `sk_live_${randomBytes(16).toString('hex')}`;
    const outcome = await failedStart({
      NODE_ENV: 'production',
      CLERK_SECRET_KEY: secret,
      CLERK_PUBLISHABLE_KEY: `pk_live_${Buffer.from('clerk.example.com$').toString('base64')}`,
      PUBLIC_BASE_URL: 'http://mcp.example.com',
      AUTH_AUDIENCE_MODE: 'off',
    });
    const line = expectOneJsonLine(outcome);
    expect(line.msg).toMatch(/^Invalid configuration: PUBLIC_BASE_URL must use https.*; AUTH_AUDIENCE_MODE=off/);
    expect(line.problems).toHaveLength(2);
    expect(line).not.toHaveProperty('err');
    expect(outcome.stdout).not.toContain(secret);
  });

  it('reports a failure after Nest started (a port taken) in one JSON line, with a hint, no stack', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const outcome = await failedStart({
        NODE_ENV: 'production',
        LOG_FORMAT: 'json',
        PUBLIC_BASE_URL: 'https://mcp.example.com',
        ALLOW_EMBEDDED_AUTH: 'true',
        HOST: '127.0.0.1',
        PORT: String(port),
      });
      const line = expectOneJsonLine(outcome);
      expect(line.msg).toContain(`EADDRINUSE: address already in use 127.0.0.1:${port}`);
      expect(line.msg).toContain('choose another PORT');
      expect(line.err).toEqual({ type: 'Error', code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });
});
