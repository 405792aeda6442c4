// Hostile input against a running server, and what it costs the server in memory.
//
//   node test/image/hostile-input.mjs [dist-directory]     (npm's Node 24: node_modules/.bin/node)
//
// Run as a script, it starts `node <dist>/main.js` (default: dist/, built by `npm run build`) in oidc mode
// against the benchmark's local issuer, sends HOSTILE_REQUESTS (default 10,000) refused requests,
// HOSTILE_CONCURRENCY (default 32) at a time, and prints the server's RSS and V8 heap (read from its
// own /metrics) before, at the peak and after. The image smoke test imports `sendHostileRequests`
// and runs a shorter burst against the container. Loopback only; every request is bounded.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MIB = 2 ** 20;
const BODY_LIMIT = 1_048_576;

/** A JSON-RPC call padded to about `bytes`, well-formed. */
const paddedCall = (bytes) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'whoami', arguments: {}, _meta: { padding: 'x'.repeat(bytes) } },
  });
const largeCall = Buffer.from(paddedCall(BODY_LIMIT - 200));
const malformed = Buffer.from(`{"jsonrpc":"2.0","params":${'['.repeat(100_000)}`);
const oversized = Buffer.alloc(BODY_LIMIT + 1024, 'x');
const fakeJwt = (kid) =>
  [
    { alg: 'RS256', typ: 'at+jwt', kid },
    { sub: 'user_x', iss: 'http://evil.example' },
  ]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .join('.') + `.${randomBytes(256).toString('base64url')}`;

/** The refused requests, in rotation: what an unauthenticated or badly authenticated fuzzer sends. */
const HOSTILE = [
  { name: 'no token, 1 MB body', headers: {}, body: largeCall, expect: 401 },
  { name: 'garbage bearer, 1 MB body', headers: { Authorization: 'Bearer not-a-jwt' }, body: largeCall, expect: 401 },
  {
    name: 'forged JWT, unknown kid, 1 MB body',
    headers: () => ({ Authorization: `Bearer ${fakeJwt(randomBytes(8).toString('hex'))}` }),
    body: largeCall,
    expect: 401,
  },
  { name: 'no token, malformed JSON', headers: {}, body: malformed, expect: 401 },
  { name: 'no token, body over the limit', headers: {}, body: oversized, expect: 413 },
  {
    name: 'Basic credentials, 1 MB body',
    headers: { Authorization: 'Basic dXNlcjpwYXNz' },
    body: largeCall,
    expect: 401,
  },
  { name: 'foreign Origin, 1 MB body', headers: { Origin: 'https://evil.example' }, body: largeCall, expect: 403 },
];

/**
 * Sends `count` hostile requests to `baseUrl` (loopback or a container's published port), `concurrency`
 * at a time. Resolves with the statuses seen per kind; a request that gets no answer counts as 0.
 */
export async function sendHostileRequests(
  baseUrl,
  { count = 10_000, concurrency = 32, timeoutMs = 30_000, kinds = HOSTILE } = {},
) {
  const url = new URL('/mcp', baseUrl);
  const seen = new Map(kinds.map((kind) => [kind.name, new Map()]));
  let next = 0;
  const one = (kind) =>
    new Promise((done) => {
      const headers = typeof kind.headers === 'function' ? kind.headers() : kind.headers;
      const outgoing = request(url, {
        method: 'POST',
        timeout: timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Content-Length': kind.body.length,
          ...headers,
        },
      });
      const finish = (status) => {
        const counts = seen.get(kind.name);
        counts.set(status, (counts.get(status) ?? 0) + 1);
        done();
      };
      outgoing.on('response', (response) => {
        response.resume();
        response.on('end', () => finish(response.statusCode));
        response.on('error', () => finish(0));
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
      // The server may answer and close before the whole body is sent; the answer is what counts.
      outgoing.on('error', () => outgoing.res ?? finish(0));
      outgoing.end(kind.body);
    });
  const worker = async () => {
    while (next < count) await one(kinds[next++ % kinds.length]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Object.fromEntries([...seen].map(([name, counts]) => [name, Object.fromEntries(counts)]));
}

/** The kinds whose answers were not the expected refusal; empty when every request got it. */
export function unexpectedAnswers(statuses) {
  return HOSTILE.filter((kind) =>
    Object.keys(statuses[kind.name] ?? { [kind.expect]: 0 }).some((status) => Number(status) !== kind.expect),
  ).map((kind) => `${kind.name}: expected ${kind.expect}, got ${JSON.stringify(statuses[kind.name])}`);
}

/** RSS and V8 heap used, in MiB, from the server's own Prometheus metrics. */
export async function serverMemory(baseUrl) {
  const text = await (await fetch(new URL('/metrics', baseUrl))).text();
  const read = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) / MIB;
  return { rssMiB: read('process_resident_memory_bytes'), heapUsedMiB: read('nodejs_heap_size_used_bytes') };
}

const freePort = () =>
  new Promise((resolvePort, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });

async function main() {
  const dist = resolve(process.argv[2] ?? join(ROOT, 'dist'));
  const { BenchIssuer } = await import(join(ROOT, 'bench/oidc-issuer.mjs'));
  const issuer = await BenchIssuer.start();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const workDir = mkdtempSync(join(tmpdir(), 'hostile-input-'));
  const server = spawn(process.execPath, [join(dist, 'main.js')], {
    cwd: workDir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: `http://localhost:${port}`,
      AUTH_PROVIDER: 'oidc',
      OIDC_ISSUER_URL: issuer.issuer,
      LOG_FORMAT: 'json',
      RATE_LIMIT_PER_IP: '0',
      NODE_OPTIONS: process.env.HOSTILE_NODE_OPTIONS ?? '',
    },
  });
  try {
    for (let attempt = 0; ; attempt++) {
      const ready = await fetch(`${baseUrl}/readyz`).then(
        (answer) => answer.ok,
        () => false,
      );
      if (ready) break;
      if (attempt > 150 || server.exitCode !== null) throw new Error('the server did not become ready');
      await new Promise((wait) => setTimeout(wait, 100));
    }
    const before = await serverMemory(baseUrl);
    let peak = before;
    const sampler = setInterval(() => {
      serverMemory(baseUrl).then(
        (now) => {
          peak = {
            rssMiB: Math.max(peak.rssMiB, now.rssMiB),
            heapUsedMiB: Math.max(peak.heapUsedMiB, now.heapUsedMiB),
          };
        },
        () => undefined,
      );
    }, 200);
    const started = Date.now();
    const statuses = await sendHostileRequests(baseUrl, {
      count: Number(process.env.HOSTILE_REQUESTS ?? 10_000),
      concurrency: Number(process.env.HOSTILE_CONCURRENCY ?? 32),
      // HOSTILE_ONLY=<substring>: only the kinds whose name contains it, to find what costs the most.
      kinds: HOSTILE.filter((kind) => kind.name.includes(process.env.HOSTILE_ONLY ?? '')),
    });
    clearInterval(sampler);
    const after = await serverMemory(baseUrl);
    const mib = (value) => `${value.toFixed(1)} MiB`;
    console.log(`${Date.now() - started} ms`);
    console.log(JSON.stringify(statuses, null, 1));
    for (const [label, sample] of [
      ['before', before],
      ['peak', peak],
      ['after', after],
    ])
      console.log(`${label.padEnd(7)} rss ${mib(sample.rssMiB)}  heap used ${mib(sample.heapUsedMiB)}`);
    const wrong = unexpectedAnswers(statuses);
    if (wrong.length > 0) {
      console.error(wrong.join('\n'));
      process.exitCode = 1;
    }
  } finally {
    server.kill('SIGTERM');
    await issuer.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
