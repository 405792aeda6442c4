/**
 * `npm run test:image`: the container image, built from the Dockerfile and run for real (needs a Docker
 * engine; .ci/run starts one with ../shared/tools/container-engine.sh and says so when it cannot).
 *  - Clerk mode as deploy/ runs it: read-only root, uid 1000, every capability dropped,
 *    no-new-privileges, a 512 MiB memory limit and a tmpfs on /tmp. The Clerk stand-in runs here, on
 *    127.0.0.1, so the container shares the host's network and listens on loopback only. It holds
 *    20,000 tool calls from 2,000 users within that limit (its peak RSS was 249 MiB when written).
 *  - The embedded default with the README's `docker run --env-file .env` (made from .env.example),
 *    published on 127.0.0.1, and its health check when HOST is loopback.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClerkStandIn } from '../support/clerk-stand-in.js';
import { clerkEnvironment, freePort } from '../support/test-app.js';
// @ts-expect-error: a plain ES module script, shared with the memory measurement; it has no types.
import * as hostileInput from './hostile-input.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGE = `nest-mcp-oauth:image-test-${randomBytes(3).toString('hex')}`;
const GRACE_SECONDS = 5;
/** The load test: users with a token each, requests spread over them, requests in flight at once. */
const LOAD_USERS = 2000;
const LOAD_REQUESTS = 20_000;
const LOAD_CONCURRENCY = 32;
/** Peak RSS allowed under that load: the Deployment's 512 MiB limit, less a quarter kept for headroom. */
const PEAK_RSS_BOUND_MIB = 384;
const ACCEPT = 'application/json, text/event-stream';
const WHOAMI = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'whoami', arguments: {} },
});

type StatusesByKind = Record<string, Record<string, number>>;
const { sendHostileRequests, unexpectedAnswers } = hostileInput as unknown as {
  sendHostileRequests: (baseUrl: string, options: { count: number; concurrency: number }) => Promise<StatusesByKind>;
  unexpectedAnswers: (statuses: StatusesByKind) => string[];
};

const run = promisify(execFile);
const docker = async (...args: string[]): Promise<string> =>
  (await run('docker', args, { maxBuffer: 64 * 2 ** 20 })).stdout.trim();
const containers: string[] = [];
const volumes: string[] = [];

/** Starts a container in the background and remembers it for the clean-up. */
async function start(args: string[]): Promise<string> {
  const id = await docker('run', '-d', ...args, IMAGE);
  containers.push(id);
  return id;
}

/** Polls until the URL answers 200; fails with the container's logs when it exits or never does. */
async function waitFor(url: string, container: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      (await fetch(url).then(
        (answer) => answer.status,
        () => 0,
      )) === 200
    )
      return;
    if ((await docker('inspect', '-f', '{{.State.Running}}', container)) !== 'true') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} never answered 200:\n${await docker('logs', container).catch(String)}`);
}

/** The image's own HEALTHCHECK command, run inside the container now: its exit code. */
async function healthCheck(container: string): Promise<number> {
  const test = JSON.parse(await docker('inspect', '-f', '{{json .Config.Healthcheck.Test}}', container)) as string[];
  expect(test[0]).toBe('CMD');
  return run('docker', ['exec', container, ...test.slice(1)]).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
}

beforeAll(async () => {
  await docker('build', '-q', '-t', IMAGE, ROOT);
}, 600_000);

afterAll(async () => {
  if (containers.length > 0) await docker('rm', '-f', ...containers).catch(() => '');
  if (volumes.length > 0) await docker('volume', 'rm', ...volumes).catch(() => '');
  await docker('rmi', IMAGE).catch(() => '');
}, 60_000);

describe('the image in Clerk mode, hardened as deploy/ runs it', () => {
  let clerk: ClerkStandIn;
  let container: string;
  let baseUrl: string;

  beforeAll(async () => {
    clerk = await ClerkStandIn.start();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = {
      ...clerkEnvironment(clerk),
      // The stand-in speaks http, which production refuses; everything else is the production image.
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: `http://localhost:${port}`,
      SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
      RATE_LIMIT_PER_IP: '0',
    };
    container = await start([
      ...['--network', 'host', '--read-only', '--user', '1000:1000', '--cap-drop', 'ALL'],
      ...['--security-opt', 'no-new-privileges', '--memory', '512m', '--tmpfs', '/tmp:size=64m'],
      ...Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]),
    ]);
    await waitFor(`${baseUrl}/readyz`, container);
  }, 120_000);
  afterAll(async () => clerk.close());

  it('serves /healthz, /readyz, the 401 challenge and a tool call with a token', async () => {
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
    const anonymous = await fetch(`${baseUrl}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: ACCEPT },
      body: WHOAMI,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(
      /^Bearer resource_metadata="http:\/\/localhost:\d+\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
    const call = await fetch(`${baseUrl}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: ACCEPT, Authorization: `Bearer ${await clerk.mintJwt()}` },
      body: WHOAMI,
    });
    expect(call.status).toBe(200);
    expect(await call.text()).toContain('user_alice');
  });

  it('sizes the heap from the memory limit, and survives a burst of hostile requests', async () => {
    const limit = Number(
      await docker('exec', container, 'node', '-p', 'require("v8").getHeapStatistics().heap_size_limit'),
    );
    // 75% of 512 MiB for the old space, plus a young generation of three 8 MiB semi-spaces (V8's own
    // choice under this limit, 1 MiB ones, would make it 387 MiB).
    expect(limit / 2 ** 20).toBeGreaterThan(400);
    expect(limit / 2 ** 20).toBeLessThan(420);
    const statuses = await sendHostileRequests(baseUrl, { count: 700, concurrency: 16 });
    expect(unexpectedAnswers(statuses)).toEqual([]);
    expect(await docker('inspect', '-f', '{{.State.Running}} {{.State.OOMKilled}}', container)).toBe('true false');
  }, 120_000);

  it('holds sustained authenticated load from many users within its memory limit', async () => {
    // Each distinct token is verified once and then remembered, with its user's identity: the caches at work.
    const tokens = await Promise.all(
      Array.from({ length: LOAD_USERS }, (_, index) => clerk.mintJwt({ sub: `user_load_${index}` })),
    );
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < LOAD_REQUESTS) {
        const token = tokens[next++ % tokens.length];
        const answer = await fetch(`${baseUrl}/mcp`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: ACCEPT, Authorization: `Bearer ${token}` },
          body: WHOAMI,
        });
        await answer.arrayBuffer();
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
    expect(Object.fromEntries(statuses)).toEqual({ 200: LOAD_REQUESTS });
    expect(await docker('inspect', '-f', '{{.State.Running}} {{.State.OOMKilled}}', container)).toBe('true false');
    // The process's peak resident memory over its whole life so far, against the container's 512 MiB.
    const peakMiB =
      Number(/VmHWM:\s+(\d+) kB/.exec(await docker('exec', container, 'cat', '/proc/1/status'))?.[1]) / 1024;
    expect(peakMiB).toBeLessThan(PEAK_RSS_BOUND_MIB);
  }, 180_000);

  it('writes JSON log lines only', async () => {
    const lines = (await docker('logs', container)).split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('drains on docker stop: the request in flight finishes, exit code 0 within the grace period', async () => {
    // A tool call whose body is still on its way when the signal arrives.
    const body = Buffer.from(WHOAMI);
    const inFlight = httpRequest(`${baseUrl}/mcp`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: ACCEPT,
        Authorization: `Bearer ${await clerk.mintJwt()}`,
        'Content-Length': body.length,
      },
    });
    const answer = new Promise<{ status?: number; text: string }>((resolve, reject) => {
      inFlight.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode, text }));
      });
      inFlight.on('error', reject);
    });
    inFlight.write(body.subarray(0, 10));
    await new Promise<void>((resolve) =>
      inFlight.once('socket', (socket) => (socket.connecting ? socket.once('connect', () => resolve()) : resolve())),
    );
    const started = Date.now();
    const stopped = docker('stop', '-t', String(GRACE_SECONDS + 5), container);
    await waitForLog(container, 'SIGTERM received');
    inFlight.end(body.subarray(10));
    expect(await answer).toMatchObject({ status: 200, text: expect.stringContaining('user_alice') });
    await stopped;
    expect(Date.now() - started).toBeLessThan((GRACE_SECONDS + 2) * 1000);
    expect(await docker('inspect', '-f', '{{.State.ExitCode}} {{.State.OOMKilled}}', container)).toBe('0 false');
  }, 60_000);
});

/** Polls the container's logs until a line contains `text`. */
async function waitForLog(container: string, text: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await docker('logs', container)).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the container never logged "${text}"`);
}

describe('the embedded default, run as the README says', () => {
  let envFile: string;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mcp-oauth-image-'));
    envFile = join(dir, '.env');
    copyFileSync(join(ROOT, '.env.example'), envFile);
  });
  afterAll(() => rmSync(join(envFile, '..'), { recursive: true, force: true }));

  it('`docker run -p 3000:3000 --env-file .env -v <volume>:/app/.data` serves on the published port', async () => {
    const port = await freePort();
    const volume = `nest-mcp-oauth-image-test-${randomBytes(3).toString('hex')}`;
    volumes.push(volume);
    const container = await start([
      '-p',
      `127.0.0.1:${port}:3000`,
      '--env-file',
      envFile,
      '-v',
      `${volume}:/app/.data`,
    ]);
    await waitFor(`http://127.0.0.1:${port}/healthz`, container);
    const challenge = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: WHOAMI,
    });
    expect(challenge.status).toBe(401);
    const metadata = (await (
      await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)
    ).json()) as { issuer: string };
    expect(metadata.issuer).toBe('http://localhost:3000');
    expect(await healthCheck(container)).toBe(0);
  }, 60_000);

  it('is reported unhealthy when HOST=127.0.0.1 keeps the server off the published interface', async () => {
    const container = await start(['--env-file', envFile, '-e', 'HOST=127.0.0.1']);
    await waitForLog(container, 'listening on 127.0.0.1:3000');
    expect(await healthCheck(container)).toBe(1);
  }, 60_000);

  it('on a read-only root without a volume, stops with one JSON line that names the fix', async () => {
    const outcome = await run('docker', [
      'run',
      '--rm',
      '--read-only',
      '-e',
      'LOG_FORMAT=json',
      '-e',
      'NODE_ENV=development',
      IMAGE,
    ]).then(
      (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
      (error: { code?: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe('');
    const lines = outcome.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '') as { level: string; msg: string };
    expect(line.level).toBe('fatal');
    expect(line.msg).toContain('EMBEDDED_AUTH_STATE_FILE');
    // The cause, not only the fix: the read-only root is what stopped it.
    expect(line.msg).toMatch(/read-only/i);
  }, 60_000);
});
