// `npm run bench`: the product against the floors it must be judged by, measured in one run.
//
// Every target runs in its own process, started here side by side, so each is charged with the
// CPU time of its own process only (read over IPC before and after each run):
//   floor         a bare node:http JSON-RPC responder (the runtime's floor)
//   nest floor    a bare NestJS app: a fixed JSON document on GET, a guard refusing every POST with 401
//   sdk example   the SDK's stateless example (McpServer + transport per POST) with requireBearerAuth
//   sdk modern    the v2 SDK's 2026-07-28 handler alone, no authentication
//   product       `node dist/main.js`, exactly as `npm start` runs it: oidc mode against a local
//                 issuer, default logging (JSON lines) and metrics, rate limits on
// The load comes from a worker thread of this process over raw keep-alive sockets, with one request
// in flight per socket. Authenticated rows rotate through BENCH_TOKENS distinct valid tokens.
// Every answer is checked (a valid MCP result, the expected challenge, a JSON document); a row with
// a wrong answer fails the bench. Ratios against the floors and the issue's targets are printed;
// BENCH_ENFORCE_TARGETS=1 also fails the bench when a target is missed. Loopback only.
//
// Settings (environment):
//   BENCH_CONCURRENCY=32   BENCH_ROUND_SECONDS=2 (per row and round)   BENCH_ROUNDS=5   BENCH_WARMUP=10000
//   BENCH_ROUND_WARMUP=1000 (untimed, before each later round of a row)
//   BENCH_TOKENS=10000
//   BENCH_SOAK_REQUESTS=100000 (memory soak of the product; 0 skips it)   BENCH_MAX_SECONDS=20
//   BENCH_ONLY=<row keys, comma-separated>   BENCH_RESULTS=<path of the JSON report>
//   BENCH_ENFORCE_TARGETS=1   BENCH_PROFILE_DIR=<dir> (the product writes a .cpuprofile there on exit)
//   BENCH_PRODUCT_ENTRY=<path> (another build of the product's main.js, e.g. a work-in-progress outDir)
//   BENCH_PRODUCT_NODE_FLAGS="<flags>" (node flags for the product only, e.g. a container's heap sizes)
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BenchIssuer } from './oidc-issuer.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const HARD_DEADLINE_MS = 15 * 60_000;
const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';

// ---------------------------------------------------------------- settings

function integerSetting(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number of at least ${min} (got "${raw}")`);
  return value;
}

const settings = (() => {
  try {
    return {
      concurrency: integerSetting('BENCH_CONCURRENCY', 32),
      roundSeconds: integerSetting('BENCH_ROUND_SECONDS', 2),
      rounds: integerSetting('BENCH_ROUNDS', 5),
      warmup: integerSetting('BENCH_WARMUP', 10000, 0),
      roundWarmup: integerSetting('BENCH_ROUND_WARMUP', 1000, 0),
      tokens: integerSetting('BENCH_TOKENS', 10_000),
      soakRequests: integerSetting('BENCH_SOAK_REQUESTS', 100_000, 0),
      maxSecondsPerRun: integerSetting('BENCH_MAX_SECONDS', 20),
      only: (process.env.BENCH_ONLY ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
      enforceTargets: process.env.BENCH_ENFORCE_TARGETS === '1',
      resultsPath: process.env.BENCH_RESULTS || join(tmpdir(), 'nest-mcp-oauth-bench', 'latest.json'),
    };
  } catch (error) {
    console.error(`bench: ${error.message}`);
    process.exit(1);
  }
})();

// A benchmark that hangs is worse than one that fails: give up loudly.
setTimeout(() => {
  console.error(`bench: still running after ${HARD_DEADLINE_MS / 1000} s; giving up.`);
  process.exit(2);
}, HARD_DEADLINE_MS).unref();

// ---------------------------------------------------------------- target processes

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** How much of a target's first output is kept, to report why it stopped before it was ready. */
const FIRST_OUTPUT_KEPT = 16 * 1024;

/** A target in its own process, answering `stats` over IPC with its CPU time and memory. */
class TargetProcess {
  constructor(name, child, port) {
    this.name = name;
    this.child = child;
    this.port = port;
    this.nextId = 1;
  }

  static async start(name, script, { env = {}, execArgv = [], settings: targetSettings = {}, port, readyPath } = {}) {
    const child = fork(script, [], {
      cwd: ROOT,
      execArgv: ['--expose-gc', ...execArgv],
      env: { ...process.env, ...env, BENCH_TARGET_SETTINGS: JSON.stringify(targetSettings) },
      // The product's log lines go into a pipe, as a container runtime's would take them, and are dropped
      // here once read; the first of them are kept, to say why a target that stopped before it was ready did.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let firstOutput = '';
    child.stdout.on('data', (chunk) => {
      if (firstOutput.length < FIRST_OUTPUT_KEPT) firstOutput += chunk;
    });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    const gone = (code) => new Error(`${name} exited (${code}) before it was ready:\n${firstOutput.trim()}`);
    if (readyPath) {
      await waitUntilAnswering(`http://127.0.0.1:${port}${readyPath}`, exited, gone);
      return new TargetProcess(name, child, port);
    }
    const ready = await Promise.race([
      new Promise((resolve) => child.once('message', resolve)),
      exited.then((code) => Promise.reject(gone(code))),
    ]);
    return new TargetProcess(name, child, ready.port);
  }

  stats({ gc = false } = {}) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.type !== 'stats' || message.id !== id) return;
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats', id, gc });
    });
  }

  async stop() {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.exitCode !== null) return;
    // Harness targets close on a message; the product drains on SIGTERM, as in production.
    if (this.name === 'product') this.child.kill('SIGTERM');
    else this.child.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

async function waitUntilAnswering(url, exited, gone) {
  let exitCode;
  void exited.then((code) => (exitCode = code));
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (exitCode !== undefined) throw gone(exitCode);
    const answered = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within 30 s`);
}

// ---------------------------------------------------------------- load worker

function startWorker() {
  const worker = new Worker(join(HERE, 'load-worker.mjs'));
  const pending = new Map();
  let nextId = 1;
  worker.on('message', (message) => {
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    if (message.failure) entry.reject(new Error(`load worker: ${message.failure}`));
    else entry.resolve(message);
  });
  worker.on('error', (error) => {
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
  });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  return {
    /** Sends `requests`, or with `durationMs` as many as that time allows (at most `requests`). */
    run(scenario, requests, durationMs) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // A run that has not ended this long after it should have is cut off and marked truncated.
        const capMs = settings.maxSecondsPerRun * 1000;
        const maxMs =
          durationMs === undefined ? capMs * Math.max(1, Math.ceil(requests / REQUESTS_PER_CAP)) : durationMs + capMs;
        worker.postMessage({
          type: 'run',
          id,
          scenario,
          requests,
          concurrency: settings.concurrency,
          maxMs,
          durationMs,
        });
      });
    },
    async close() {
      worker.postMessage({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------- requests

const jsonRpc = (method, params) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
const modernMeta = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

const BODIES = {
  legacyCall: jsonRpc('tools/call', { name: 'whoami', arguments: {} }),
  legacyList: jsonRpc('tools/list', {}),
  modernCall: jsonRpc('tools/call', { name: 'whoami', arguments: {}, _meta: modernMeta }),
  modernList: jsonRpc('tools/list', { _meta: modernMeta }),
};

function post(port, host, body, { era = LEGACY, method, name, check, rotate, authorization }) {
  return {
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/mcp',
    headers: {
      // The product and the SDK example answer only to their public host (DNS-rebinding guards).
      Host: host,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': era,
      ...(era === MODERN ? { 'Mcp-Method': method, ...(name ? { 'Mcp-Name': name } : {}) } : {}),
      ...(authorization ? { Authorization: authorization } : {}),
      'Content-Length': String(Buffer.byteLength(body)),
    },
    body,
    rotate,
    check,
  };
}

const get = (port, host, path) => ({
  host: '127.0.0.1',
  port,
  method: 'GET',
  path,
  headers: { Host: host },
  check: 'document',
});

/** A JWT whose header and claims are real but whose signature is not the issuer's. */
function forge(token) {
  const [header, payload, signature] = token.split('.');
  const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
  return `${header}.${payload}.${flipped}`;
}

/** Every row: which target serves it, what it sends, and which rows it is compared with. */
function rows(ports, host, tokens) {
  const rotate = tokens.map((token) => ({ Authorization: `Bearer ${token}` }));
  const forged = `Bearer ${forge(tokens[0])}`;
  const call = { method: 'tools/call', name: 'whoami', check: 'tool-result', rotate };
  const list = { method: 'tools/list', check: 'tool-list', rotate };
  const { product, sdkExample, sdkModern, nestFloor, floor } = ports;
  return [
    {
      key: 'floor',
      target: 'floor',
      label: 'floor: node:http JSON-RPC',
      request: { ...post(floor, host, BODIES.legacyCall, { check: 'ok' }), path: '/' },
    },
    {
      key: 'nestGet',
      target: 'nestFloor',
      label: 'nest floor: GET fixed JSON',
      request: { ...get(nestFloor, host, '/') },
    },
    {
      key: 'nest401',
      target: 'nestFloor',
      label: 'nest floor: POST refused 401',
      request: { ...post(nestFloor, host, BODIES.legacyList, { check: 'refused' }), path: '/' },
    },
    {
      key: 'sdkCall',
      target: 'sdkExample',
      label: 'sdk example: tools/call',
      request: post(sdkExample, host, BODIES.legacyCall, call),
    },
    {
      key: 'sdkList',
      target: 'sdkExample',
      label: 'sdk example: tools/list',
      request: post(sdkExample, host, BODIES.legacyList, list),
    },
    {
      key: 'sdkMissing',
      target: 'sdkExample',
      label: 'sdk example: 401 no token',
      request: post(sdkExample, host, BODIES.legacyList, { check: 'challenge' }),
    },
    {
      key: 'sdkForged',
      target: 'sdkExample',
      label: 'sdk example: 401 forged token',
      request: post(sdkExample, host, BODIES.legacyList, { check: 'forged', authorization: forged }),
    },
    {
      key: 'sdkPrm',
      target: 'sdkExample',
      label: 'sdk example: GET PRM',
      request: get(sdkExample, host, '/.well-known/oauth-protected-resource/mcp'),
    },
    {
      key: 'sdkModernCall',
      target: 'sdkModern',
      label: 'sdk modern handler alone: tools/call',
      request: post(sdkModern, host, BODIES.modernCall, { ...call, era: MODERN, rotate: undefined }),
    },
    {
      key: 'sdkModernList',
      target: 'sdkModern',
      label: 'sdk modern handler alone: tools/list',
      request: post(sdkModern, host, BODIES.modernList, { ...list, era: MODERN, rotate: undefined }),
    },
    {
      key: 'call2025',
      target: 'product',
      label: `product: tools/call ${LEGACY}`,
      request: post(product, host, BODIES.legacyCall, call),
      sdk: 'sdkCall',
    },
    {
      key: 'call2026',
      target: 'product',
      label: `product: tools/call ${MODERN}`,
      request: post(product, host, BODIES.modernCall, { ...call, era: MODERN }),
      sdk: 'sdkCall',
    },
    {
      key: 'list2025',
      target: 'product',
      label: `product: tools/list ${LEGACY}`,
      request: post(product, host, BODIES.legacyList, list),
      sdk: 'sdkList',
    },
    {
      key: 'list2026',
      target: 'product',
      label: `product: tools/list ${MODERN}`,
      request: post(product, host, BODIES.modernList, { ...list, era: MODERN }),
      sdk: 'sdkList',
    },
    {
      key: 'missing',
      target: 'product',
      label: 'product: 401 no token',
      request: post(product, host, BODIES.legacyList, { check: 'challenge' }),
      sdk: 'sdkMissing',
      nest: 'nest401',
    },
    {
      key: 'forged',
      target: 'product',
      label: 'product: 401 forged token',
      request: post(product, host, BODIES.legacyList, { check: 'forged', authorization: forged }),
      sdk: 'sdkForged',
      nest: 'nest401',
    },
    {
      key: 'prm',
      target: 'product',
      label: 'product: GET PRM /mcp',
      request: get(product, host, '/.well-known/oauth-protected-resource/mcp'),
      sdk: 'sdkPrm',
      nest: 'nestGet',
    },
    {
      key: 'prmRoot',
      target: 'product',
      label: 'product: GET PRM root',
      request: get(product, host, '/.well-known/oauth-protected-resource'),
      nest: 'nestGet',
    },
    {
      key: 'asMetadata',
      target: 'product',
      label: 'product: GET AS metadata',
      request: get(product, host, '/.well-known/oauth-authorization-server'),
      nest: 'nestGet',
    },
    {
      key: 'oidcMetadata',
      target: 'product',
      label: 'product: GET OIDC config',
      request: get(product, host, '/.well-known/openid-configuration'),
      nest: 'nestGet',
    },
  ];
}

// ---------------------------------------------------------------- measuring

/**
 * A timed round lasts as long for every target, rather than a number of requests: with a fixed
 * count, a target three times as fast was watched for a third of the time, and a burst of
 * interference from elsewhere on a shared machine filled more of its window. The bound on the
 * count only caps the latency buffer.
 */
const ROUND_REQUESTS_AT_MOST = 200_000;
/** BENCH_MAX_SECONDS is allowed per this many requests of an untimed run (a warm-up, the soak). */
const REQUESTS_PER_CAP = 3000;

async function measureOnce(worker, process_, row, issuer) {
  const before = await process_.stats();
  const issuerBefore = issuer.requests.length;
  const result = await worker.run(row.request, ROUND_REQUESTS_AT_MOST, settings.roundSeconds * 1000);
  const after = await process_.stats();
  const cpuUs = after.cpu.user + after.cpu.system - (before.cpu.user + before.cpu.system);
  const { type: _type, id: _id, ...measured } = result;
  return {
    ...measured,
    cpuUsPerRequest: result.completed ? cpuUs / result.completed : NaN,
    issuerCalls: issuer.requests.length - issuerBefore,
  };
}

/**
 * The rows of a round: each target's rows together, as listed, but starting one row further on in
 * each round. The first row a target serves after idling through the other targets' rows can cost it
 * more (up to a tenth for the product in some runs, whichever row it is; a longer warm-up did not
 * take that away), so no row may be that first row in every round: each is, in at most one round in
 * as many as its target has rows, which the median then sets aside.
 */
function roundOrder(rows, round) {
  const byTarget = new Map();
  for (const row of rows) byTarget.set(row.target, [...(byTarget.get(row.target) ?? []), row]);
  return [...byTarget.values()].flatMap((group) => {
    const start = (round - 1) % group.length;
    return [...group.slice(start), ...group.slice(0, start)];
  });
}

const median = (values) => {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * One row over every round: throughput, CPU per request and latencies are the medians of the
 * rounds (one disturbed round on a shared machine moves nothing); errors and calls to the
 * issuer are summed, since one wrong answer in any round fails the row.
 */
function combineRounds(row, rounds) {
  const problems = new Map();
  for (const problem of rounds.flatMap((round) => round.problems))
    problems.set(problem.problem, {
      problem: problem.problem,
      count: (problems.get(problem.problem)?.count ?? 0) + problem.count,
    });
  return {
    key: row.key,
    label: row.label,
    target: row.target,
    sdk: row.sdk,
    nest: row.nest,
    completed: rounds.reduce((sum, round) => sum + round.completed, 0),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    problems: [...problems.values()],
    truncated: rounds.some((round) => round.truncated),
    rps: median(rounds.map((round) => round.rps)),
    cpuUsPerRequest: median(rounds.map((round) => round.cpuUsPerRequest)),
    latencyMs: {
      p50: median(rounds.map((round) => round.latencyMs.p50)),
      p99: median(rounds.map((round) => round.latencyMs.p99)),
    },
    issuerCalls: rounds.reduce((sum, round) => sum + round.issuerCalls, 0),
    rounds: rounds.map(({ rps, cpuUsPerRequest }) => ({ rps, cpuUsPerRequest })),
  };
}

/** RSS of the product before and after many requests with distinct valid tokens, after forced GCs. */
async function soak(worker, product, row) {
  if (!row || settings.soakRequests === 0) return undefined;
  const before = await product.stats({ gc: true });
  const result = await worker.run(row.request, settings.soakRequests);
  const after = await product.stats({ gc: true });
  return {
    requests: result.completed,
    errors: result.errors,
    problems: result.problems,
    rssBeforeMb: before.rssMb,
    rssAfterMb: after.rssMb,
    heapBeforeMb: before.heapUsedMb,
    heapAfterMb: after.heapUsedMb,
  };
}

// ---------------------------------------------------------------- report

const ratio = (a, b) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
const fixed = (value, digits = 2) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));

function table(results, byKey) {
  const floorRps = byKey.floor?.rps;
  const header = [
    'row',
    'req/s',
    'x floor',
    'cpu µs/req',
    'cpu x sdk',
    'rps x sdk',
    'rps x nest',
    'p50 ms',
    'p99 ms',
    'errors',
    'AS calls',
  ];
  const lines = [header];
  for (const result of results) {
    const sdk = byKey[result.sdk];
    const nest = byKey[result.nest];
    lines.push([
      result.label + (result.truncated ? ' (time cap)' : ''),
      fixed(result.rps, 0),
      fixed(ratio(result.rps, floorRps), 3),
      fixed(result.cpuUsPerRequest, 0),
      fixed(ratio(result.cpuUsPerRequest, sdk?.cpuUsPerRequest)),
      fixed(ratio(result.rps, sdk?.rps)),
      fixed(ratio(result.rps, nest?.rps)),
      fixed(result.latencyMs.p50),
      fixed(result.latencyMs.p99),
      String(result.errors),
      String(result.issuerCalls),
    ]);
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  const render = (line) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.slice(1).map(render)].join(
    '\n',
  );
}

/**
 * A ratio of two rows (of their medians), with the same ratio within each round: rounds are
 * interleaved, so a round's pair was measured close together in time, and how the pairs spread
 * shows how much of the verdict the machine's noise could have moved.
 */
function rowRatio(byKey, key, other, field) {
  const value = ratio(byKey[key]?.[field], byKey[other]?.[field]);
  const ours = byKey[key]?.rounds ?? [];
  const theirs = byKey[other]?.rounds ?? [];
  const rounds = ours.map((round, index) => ratio(round[field], theirs[index]?.[field])).filter((r) => r !== undefined);
  return { value, rounds };
}

/** The performance issue's targets, each with what this run measured. */
function targets(byKey, soaked) {
  const cpu = (key, sdk) => rowRatio(byKey, key, sdk, 'cpuUsPerRequest');
  const rps = (key, other) => rowRatio(byKey, key, other, 'rps');
  const list = [
    ['tools/call 2025: CPU ≤ 0.4× sdk example', cpu('call2025', 'sdkCall'), (v) => v <= 0.4],
    ['tools/call 2025: throughput ≥ 2.5× sdk example', rps('call2025', 'sdkCall'), (v) => v >= 2.5],
    ['tools/list 2025: CPU ≤ 0.4× sdk example', cpu('list2025', 'sdkList'), (v) => v <= 0.4],
    ['tools/list 2025: throughput ≥ 2.5× sdk example', rps('list2025', 'sdkList'), (v) => v >= 2.5],
    ['tools/call 2026-07-28: CPU ≤ 0.6× sdk example', cpu('call2026', 'sdkCall'), (v) => v <= 0.6],
    ['tools/list 2026-07-28: CPU ≤ 0.6× sdk example', cpu('list2026', 'sdkList'), (v) => v <= 0.6],
    ['401 no token: throughput ≥ 0.7× nest floor 401', rps('missing', 'nest401'), (v) => v >= 0.7],
    ['401 forged token: throughput ≥ 0.7× nest floor 401', rps('forged', 'nest401'), (v) => v >= 0.7],
    ...['prm', 'prmRoot', 'asMetadata', 'oidcMetadata'].map((key) => [
      `${byKey[key]?.label ?? key}: throughput ≥ 0.8× nest floor GET`,
      rps(key, 'nestGet'),
      (v) => v >= 0.8,
    ]),
    [
      'memory: RSS growth < 50 MiB over the soak',
      soaked ? soaked.rssAfterMb - soaked.rssBeforeMb : undefined,
      (v) => v < 50,
    ],
    [
      'verification: 0 authorization-server calls in steady state',
      ['call2025', 'call2026', 'list2025', 'list2026', 'missing', 'forged'].reduce(
        (sum, key) => sum + (byKey[key]?.issuerCalls ?? 0),
        0,
      ),
      (v) => v === 0,
    ],
  ];
  return list.map(([name, measured, met]) => {
    const { value, rounds = [] } = typeof measured === 'object' ? measured : { value: measured };
    return {
      name,
      value,
      met: value === undefined ? undefined : met(value),
      rounds,
      roundsMet: rounds.filter((round) => met(round)).length,
    };
  });
}

/** `0.31 (rounds 0.29–0.36, met in 4 of 5)` for a ratio; the value alone for the rest. */
function describeTarget({ value, rounds, roundsMet }) {
  if (rounds.length < 2) return fixed(value);
  const spread = `${fixed(Math.min(...rounds))}–${fixed(Math.max(...rounds))}`;
  return `${fixed(value)} (rounds ${spread}, met in ${roundsMet} of ${rounds.length})`;
}

/**
 * The 2026-07-28 rows against the SDK's share of them: what its modern handler alone costs, with no
 * authentication and no framework, as a fraction of the SDK example, and what the product adds on
 * top; with the bare Nest app's GET added, the floor of any design that serves /mcp from a Nest
 * controller on that handler.
 */
function modernShares(byKey) {
  const lines = [];
  for (const [row, alone, sdk, name] of [
    ['call2026', 'sdkModernCall', 'sdkCall', 'tools/call'],
    ['list2026', 'sdkModernList', 'sdkList', 'tools/list'],
  ]) {
    const product = ratio(byKey[row]?.cpuUsPerRequest, byKey[sdk]?.cpuUsPerRequest);
    const handler = ratio(byKey[alone]?.cpuUsPerRequest, byKey[sdk]?.cpuUsPerRequest);
    if (product === undefined || handler === undefined) continue;
    const nest = ratio(byKey.nestGet?.cpuUsPerRequest, byKey[sdk]?.cpuUsPerRequest);
    const floor =
      nest === undefined ? '' : `; with the bare Nest GET (${fixed(nest)}×), a floor of ${fixed(handler + nest)}×`;
    lines.push(
      `        ${name} ${MODERN}: the SDK's modern handler alone is ${fixed(handler)}× the sdk example's CPU${floor}; ` +
        `the product adds ${fixed(product - handler)}× to the handler (Nest, guards, bookkeeping)`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------- main

async function main() {
  const wallStart = performance.now();
  console.log(
    `bench: ${settings.rounds} interleaved rounds of ${settings.roundSeconds} s per row (medians reported), ` +
      `after ${settings.warmup} warm-up, concurrency ${settings.concurrency}, ` +
      `${settings.tokens} distinct tokens, node ${process.version}, ${cpus().length} CPU(s)`,
  );
  const issuer = await BenchIssuer.start();
  const productPort = await freePort();
  const host = `localhost:${productPort}`;
  const resourceUrl = `http://${host}/mcp`;
  const started = performance.now();
  const tokens = [];
  for (let i = 0; i < settings.tokens; i++)
    tokens.push(await issuer.mintAccessToken({ audience: resourceUrl, subject: `user_${i % 100}`, jti: randomUUID() }));
  console.log(`bench: minted ${tokens.length} tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const processes = {};
  let worker;
  const results = [];
  let soaked;
  const memory = {};
  try {
    // Each process is recorded as soon as it is up, so that a failure to start another still stops it.
    const startTarget = (name, script, options) =>
      TargetProcess.start(name, script, options).then((target) => (processes[name] = target));
    const starts = await Promise.allSettled([
      startTarget('floor', join(HERE, 'targets/floor.mjs')),
      startTarget('nestFloor', join(HERE, 'targets/nest-floor.mjs')),
      startTarget('sdkExample', join(HERE, 'targets/sdk-example.mjs'), {
        settings: { issuer: issuer.issuer, resourceUrl },
      }),
      startTarget('sdkModern', join(HERE, 'targets/sdk-modern-handler.mjs')),
      startTarget('product', process.env.BENCH_PRODUCT_ENTRY || join(ROOT, 'dist/main.js'), {
        port: productPort,
        readyPath: '/readyz',
        execArgv: [
          // Heap sizes as a container would give them, e.g. '--max-old-space-size=384 --max-semi-space-size=1'.
          ...(process.env.BENCH_PRODUCT_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
          '--import',
          join(HERE, 'targets/product-stats.mjs'),
          ...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
        ],
        env: {
          NODE_ENV: 'development',
          HOST: '127.0.0.1',
          PORT: String(productPort),
          PUBLIC_BASE_URL: `http://${host}`,
          AUTH_PROVIDER: 'oidc',
          OIDC_ISSUER_URL: issuer.issuer,
          LOG_FORMAT: 'json',
          // Counted as in production, set high enough that the bench's one client is never refused.
          RATE_LIMIT_PER_IP: '1000000',
          RATE_LIMIT_PER_USER: '1000000',
        },
      }),
    ]);
    const failedStart = starts.find((start) => start.status === 'rejected');
    if (failedStart) throw failedStart.reason;
    const { product } = processes;
    worker = startWorker();
    const ports = Object.fromEntries(Object.entries(processes).map(([name, target]) => [name, target.port]));
    const selected = rows(ports, host, tokens).filter(
      (row) => settings.only.length === 0 || settings.only.includes(row.key),
    );
    for (const [name, target] of Object.entries(processes))
      memory[name] = { before: (await target.stats({ gc: true })).rssMb };
    // The targets say "verification cached": every token is shown to the product once, untimed, so
    // that no measured row pays for first sight of a token (each first sight is a signature check).
    const firstSight = rows(ports, host, tokens).find((row) => row.key === 'list2025');
    if (selected.some((row) => row.target === 'product')) await worker.run(firstSight.request, tokens.length);
    // Rows are measured in interleaved rounds, so a slow drift of the machine (another process,
    // thermal limits) falls on the product and on the floors it is compared with alike.
    const perRow = new Map(selected.map((row) => [row.key, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      for (const row of roundOrder(selected, round)) {
        // Each row waits idle through every other row of the round, and an idle process gives memory
        // back (V8 shrinks its young generation; the VM reclaims freed pages), which the next requests
        // pay for again in page faults: a short untimed run first lets each round start warm.
        const warmup = round === 1 ? settings.warmup : settings.roundWarmup;
        if (warmup > 0) await worker.run(row.request, warmup);
        const measured = await measureOnce(worker, processes[row.target], row, issuer);
        perRow.get(row.key).push(measured);
        console.log(
          `bench: round ${round}/${settings.rounds} ${row.label}: ${measured.rps.toFixed(0)} req/s, ` +
            `${measured.cpuUsPerRequest.toFixed(0)} µs CPU/req, ${measured.errors} errors`,
        );
      }
    }
    for (const row of selected) results.push(combineRounds(row, perRow.get(row.key)));
    soaked = await soak(
      worker,
      product,
      selected.find((row) => row.key === 'call2025'),
    );
    for (const [name, target] of Object.entries(processes))
      memory[name].after = (await target.stats({ gc: true })).rssMb;
  } finally {
    await worker?.close();
    await Promise.all(Object.values(processes).map((target) => target.stop()));
    await issuer.close();
  }

  const byKey = Object.fromEntries(results.map((result) => [result.key, result]));
  const measuredTargets = targets(byKey, soaked);
  console.log('');
  console.log(table(results, byKey));
  console.log('');
  console.log(
    'cpu µs/req: CPU time of the serving process only. x floor: throughput relative to the bare node:http floor.',
  );
  console.log(
    'cpu x sdk / rps x sdk: against the SDK example on the same request; rps x nest: against the bare Nest app.',
  );
  console.log(
    `RSS MiB before → after, per process (after forced GCs): ${Object.entries(memory)
      .map(([name, m]) => `${name} ${fixed(m.before, 0)} → ${fixed(m.after, 0)}`)
      .join(', ')}`,
  );
  if (soaked)
    console.log(
      `soak: ${soaked.requests} tools/call with ${settings.tokens} distinct tokens, ${soaked.errors} errors; product RSS ${fixed(soaked.rssBeforeMb, 1)} → ${fixed(soaked.rssAfterMb, 1)} MiB, heap ${fixed(soaked.heapBeforeMb, 1)} → ${fixed(soaked.heapAfterMb, 1)} MiB`,
    );
  console.log('\ntargets (issue: performance):');
  for (const target of measuredTargets)
    console.log(
      `  ${target.met === undefined ? 'n/a ' : target.met ? 'met ' : 'MISS'}  ${target.name}: ${describeTarget(target)}`,
    );
  for (const line of modernShares(byKey)) console.log(line);

  const failures = [];
  for (const result of results) {
    if (result.errors > 0)
      failures.push(
        `${result.label}: ${result.errors} wrong answer(s): ${result.problems.map((p) => `${p.problem} (x${p.count})`).join('; ')}`,
      );
    if (result.completed === 0) failures.push(`${result.label}: no request completed`);
  }
  if (soaked?.errors)
    failures.push(`soak: ${soaked.errors} wrong answer(s): ${soaked.problems.map((p) => p.problem).join('; ')}`);
  if (settings.enforceTargets)
    for (const target of measuredTargets)
      if (target.met === false) failures.push(`target missed: ${target.name} (${fixed(target.value)})`);

  const report = {
    timestamp: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    settings: { ...settings, resultsPath: undefined },
    results,
    memory,
    soak: soaked,
    targets: measuredTargets,
    failures,
    wallSeconds: (performance.now() - wallStart) / 1000,
  };
  mkdirSync(dirname(settings.resultsPath), { recursive: true });
  writeFileSync(settings.resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults: ${settings.resultsPath} (${report.wallSeconds.toFixed(0)} s)`);
  if (failures.length > 0) {
    console.error(`\nbench FAILED:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log('bench OK: every answer was the expected one');
  }
}

main().catch((error) => {
  console.error('bench: failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 3000).unref();
});
