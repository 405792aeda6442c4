// Throughput and memory benchmark of the MCP endpoint: `npm run bench`.
//
// Starts, in this process, a tiny OIDC issuer, the real application (compiled dist/, in
// AUTH_PROVIDER=oidc mode, stateless, rate limits off) and a bare node:http responder as a
// baseline, then drives each with a fixed number of keep-alive requests at a fixed concurrency
// from a worker thread, and prints requests per second, latency percentiles, errors and heap
// growth. Loopback only; it stops by itself.
//
// Settings (environment):
//   BENCH_CONCURRENCY=32                 requests in flight
//   BENCH_REQUESTS=5000                  measured requests per scenario
//   BENCH_WARMUP=500                     unmeasured requests per scenario, first
//   BENCH_LEAK_CHECK_REQUESTS=2500       requests after the timed run over which heap growth is measured
//   BENCH_MAX_SECONDS=12                 per run (warm-up or measured): stop issuing after this long
//   BENCH_ONLY=toolsCall,baseline        run only these scenarios (toolsCall, toolsList, unauthenticated, baseline)
//   BENCH_MIN_TOOLS_CALL_RPS=<n>         fail when tools/call is slower
//   BENCH_MAX_HEAP_GROWTH_MB_PER_1K=<n>  fail when an app scenario's heap grows more (needs --expose-gc)
//   BENCH_RESULTS=<path>                 where the JSON goes (default: <tmpdir>/nest-mcp-oauth-bench/latest.json)
// Exit status: 0 when every request got its expected answer and every target set was met.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BenchIssuer } from './oidc-issuer.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const MB = 1024 * 1024;
const HARD_DEADLINE_MS = 120_000;

// ---------------------------------------------------------------- settings

function integerSetting(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min} (got "${raw}")`);
  return value;
}
function numberSetting(name) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (got "${raw}")`);
  return value;
}

const SCENARIO_KEYS = ['baseline', 'unauthenticated', 'toolsList', 'toolsCall'];
function readSettings() {
  const parsed = {
    concurrency: integerSetting('BENCH_CONCURRENCY', 32),
    requests: integerSetting('BENCH_REQUESTS', 5000),
    warmup: integerSetting('BENCH_WARMUP', 500, 0),
    leakCheckRequests: integerSetting('BENCH_LEAK_CHECK_REQUESTS', 2500, 0),
    maxSecondsPerRun: integerSetting('BENCH_MAX_SECONDS', 12),
    only: (process.env.BENCH_ONLY ?? '').split(',').map((key) => key.trim()).filter(Boolean),
    minToolsCallRps: numberSetting('BENCH_MIN_TOOLS_CALL_RPS'),
    maxHeapGrowthMbPer1k: numberSetting('BENCH_MAX_HEAP_GROWTH_MB_PER_1K'),
    resultsPath: process.env.BENCH_RESULTS || join(tmpdir(), 'nest-mcp-oauth-bench', 'latest.json'),
  };
  for (const key of parsed.only)
    if (!SCENARIO_KEYS.includes(key)) throw new Error(`BENCH_ONLY: unknown scenario "${key}" (known: ${SCENARIO_KEYS.join(', ')})`);
  return parsed;
}
let settings;
try {
  settings = readSettings();
} catch (error) {
  console.error(`bench: ${error.message}`);
  process.exit(1);
}

// A benchmark that hangs is worse than one that fails: give up loudly.
const hardDeadline = setTimeout(() => {
  console.error(`bench: still running after ${HARD_DEADLINE_MS / 1000} s; giving up. Active resources: ${process.getActiveResourcesInfo().join(', ')}`);
  process.exit(2);
}, HARD_DEADLINE_MS);
hardDeadline.unref();

// ---------------------------------------------------------------- helpers

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;
function collect() {
  if (!gc) return;
  gc();
  gc();
}
function memory() {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rssMb: rss / MB, heapUsedMb: heapUsed / MB, heapTotalMb: heapTotal / MB, externalMb: external / MB };
}

async function startBaseline() {
  const answer = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: '{"ok":true}' }] } }));
  const server = createServer((request, response) => {
    // Read the body like the app does, so both sides of the comparison receive the same bytes.
    request.on('data', () => undefined);
    request.on('end', () => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': answer.length });
      response.end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startApp(issuer) {
  const [{ NestFactory }, { AppModule }, { configureHttpApplication }] = await Promise.all([
    import('@nestjs/core'),
    import(join(ROOT, 'dist/app.module.js')),
    import(join(ROOT, 'dist/app.setup.js')),
  ]);
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const env = {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    AUTH_PROVIDER: 'oidc',
    OIDC_ISSUER_URL: issuer.issuer,
    LOG_LEVEL: 'fatal',
    LOG_FORMAT: 'json',
    RATE_LIMIT_PER_IP: '0',
    RATE_LIMIT_PER_USER: '0',
    UPSTREAM_TIMEOUT_MS: '2000',
  };
  const module = await AppModule.forRoot({ env });
  const app = await NestFactory.create(module, { logger: ['error'], abortOnError: false });
  configureHttpApplication(app);
  await app.listen(port, '127.0.0.1');
  return { app, port, baseUrl, mcpUrl: `${baseUrl}/mcp` };
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  return port;
}

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
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.on('error', (error) => {
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
  });
  return {
    run(scenario, requests) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: 'run', id, scenario, requests, concurrency: settings.concurrency, maxMs: settings.maxSecondsPerRun * 1000 });
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

// ---------------------------------------------------------------- scenarios

const CALL_WHOAMI = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
const LIST_TOOLS = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

function mcpHeaders(app, body, token) {
  return {
    // The app answers only to PUBLIC_BASE_URL's host (DNS-rebinding guard); we connect to 127.0.0.1.
    Host: `localhost:${app.port}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': '2025-06-18',
    'Content-Length': String(Buffer.byteLength(body)),
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  };
}

function scenarios(app, baseline, token) {
  const mcp = (body, authorised, check) => ({ host: '127.0.0.1', port: app.port, method: 'POST', path: '/mcp', headers: mcpHeaders(app, body, authorised ? token : undefined), body, check });
  return {
    baseline: {
      label: 'baseline node:http',
      target: { host: '127.0.0.1', port: baseline.port, method: 'POST', path: '/', headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(CALL_WHOAMI)) }, body: CALL_WHOAMI, check: 'ok' },
    },
    unauthenticated: { label: 'POST /mcp, no token (401)', target: mcp(LIST_TOOLS, false, 'challenge') },
    toolsList: { label: 'tools/list', target: mcp(LIST_TOOLS, true, 'tool-list') },
    toolsCall: { label: 'tools/call whoami', target: mcp(CALL_WHOAMI, true, 'tool-result') },
  };
}

async function measure(worker, scenario) {
  const warmup = settings.warmup > 0 ? await worker.run(scenario.target, settings.warmup) : undefined;
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpuBefore = process.cpuUsage();
  const result = await worker.run(scenario.target, settings.requests);
  const cpu = process.cpuUsage(cpuBefore);
  // Heap growth: the first thousands of requests also grow the heap once (compiled code, type
  // feedback, lazily built caches), so a leak is measured afterwards, over a further batch: the
  // heap after that batch minus the heap after the timed run, both after a forced GC.
  collect();
  const heapAfterRun = process.memoryUsage().heapUsed;
  const leakCheck = gc && settings.leakCheckRequests > 0 ? await worker.run(scenario.target, settings.leakCheckRequests) : undefined;
  collect();
  const heapAfterLeakCheck = process.memoryUsage().heapUsed;
  const { type, id, ...measured } = result;
  return {
    label: scenario.label,
    ...measured,
    warmup: warmup && { completed: warmup.completed, errors: warmup.errors, truncated: warmup.truncated, problems: warmup.problems },
    leakCheck: leakCheck && { completed: leakCheck.completed, errors: leakCheck.errors, truncated: leakCheck.truncated, problems: leakCheck.problems },
    // CPU of the whole process (server on the main thread plus the load worker), per request.
    cpuUsPerRequest: result.completed ? (cpu.user + cpu.system) / result.completed : NaN,
    heapGrowthMbPer1k: leakCheck?.completed ? (heapAfterLeakCheck - heapAfterRun) / MB / (leakCheck.completed / 1000) : null,
    heapGrowthDuringRunMbPer1k: gc && result.completed ? (heapAfterRun - heapBefore) / MB / (result.completed / 1000) : null,
  };
}

const allErrors = (result) => result.errors + (result.warmup?.errors ?? 0) + (result.leakCheck?.errors ?? 0);
const allProblems = (result) => [...(result.warmup?.problems ?? []), ...result.problems, ...(result.leakCheck?.problems ?? [])];

// ---------------------------------------------------------------- report

function table(results, baselineRps) {
  const rows = [['scenario', 'requests', 'errors', 'req/s', 'x base', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'cpu µs/req', 'heap MB/1k']];
  for (const result of Object.values(results)) {
    rows.push([
      result.label + (result.truncated ? ' (time cap)' : ''),
      String(result.completed),
      String(allErrors(result)),
      result.rps.toFixed(0),
      baselineRps ? (result.rps / baselineRps).toFixed(3) : '-',
      result.latencyMs.p50.toFixed(2),
      result.latencyMs.p95.toFixed(2),
      result.latencyMs.p99.toFixed(2),
      result.latencyMs.max.toFixed(2),
      result.cpuUsPerRequest.toFixed(0),
      result.heapGrowthMbPer1k === null ? 'n/a' : result.heapGrowthMbPer1k.toFixed(3),
    ]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function gitRevision() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit}+dirty-src` : commit;
  } catch {
    return undefined;
  }
}

const fmt = (m) => `rss ${m.rssMb.toFixed(1)} MB, heap used ${m.heapUsedMb.toFixed(1)} MB`;

// ---------------------------------------------------------------- main

async function main() {
  const wallStart = performance.now();
  if (!gc) console.warn('bench: run with node --expose-gc for heap growth figures (npm run bench does).');
  const selected = SCENARIO_KEYS.filter((key) => settings.only.length === 0 || settings.only.includes(key));
  console.log(
    `bench: ${settings.requests} requests per scenario after ${settings.warmup} warm-up, concurrency ${settings.concurrency}, ` +
      `node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}); client in a worker thread`,
  );

  const issuer = await BenchIssuer.start();
  const baseline = await startBaseline();
  let app;
  let worker;
  const failures = [];
  let results = {};
  let memoryBefore;
  let memoryAfter;
  try {
    app = await startApp(issuer);
    const token = await issuer.mintAccessToken({ audience: app.mcpUrl });
    worker = startWorker();
    const all = scenarios(app, baseline, token);
    collect();
    memoryBefore = memory();
    console.log(`bench: app at ${app.mcpUrl}, issuer ${issuer.issuer}; before: ${fmt(memoryBefore)}`);
    for (const key of selected) {
      results[key] = await measure(worker, all[key]);
      const r = results[key];
      console.log(`bench:   ${r.label}: ${r.rps.toFixed(0)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, ${r.errors} errors`);
    }
    collect();
    memoryAfter = memory();
  } finally {
    // Shut everything down, whatever happened; the process must then exit on its own.
    await worker?.close();
    await app?.app.close();
    await issuer.close();
    await baseline.close();
  }

  const baselineRps = results.baseline?.rps;
  console.log('');
  console.log(table(results, baselineRps));
  console.log('');
  console.log('x base: req/s relative to the bare node:http baseline. cpu µs/req: CPU of the whole process (server, load worker, GC threads) per request.');
  console.log('heap MB/1k: heap growth per 1000 requests over the leak-check batch that follows each timed run, after forced GCs.');
  console.log(`memory before: ${fmt(memoryBefore)}; after: ${fmt(memoryAfter)} (after forced GC: ${gc ? 'yes' : 'no'})`);
  console.log(`issuer was asked ${issuer.requests.length} time(s): ${[...new Set(issuer.requests)].join(', ')}`);

  // ------------------------------------------------------------ verdict
  for (const [key, result] of Object.entries(results)) {
    const errors = allErrors(result);
    if (errors > 0) failures.push(`${result.label}: ${errors} request(s) failed: ${allProblems(result).map((p) => `${p.problem} (x${p.count})`).join('; ')}`);
    if (result.completed === 0) failures.push(`${key}: no request completed`);
  }
  if (settings.minToolsCallRps !== undefined) {
    if (!results.toolsCall) failures.push('BENCH_MIN_TOOLS_CALL_RPS is set but the toolsCall scenario did not run');
    else if (results.toolsCall.rps < settings.minToolsCallRps)
      failures.push(`tools/call served ${results.toolsCall.rps.toFixed(0)} req/s, below BENCH_MIN_TOOLS_CALL_RPS=${settings.minToolsCallRps}`);
  }
  if (settings.maxHeapGrowthMbPer1k !== undefined) {
    if (!gc) failures.push('BENCH_MAX_HEAP_GROWTH_MB_PER_1K is set but node was not started with --expose-gc');
    for (const key of ['toolsCall', 'toolsList', 'unauthenticated']) {
      const growth = results[key]?.heapGrowthMbPer1k;
      if (typeof growth === 'number' && growth > settings.maxHeapGrowthMbPer1k)
        failures.push(`${results[key].label}: heap grew ${growth.toFixed(3)} MB per 1000 requests, above BENCH_MAX_HEAP_GROWTH_MB_PER_1K=${settings.maxHeapGrowthMbPer1k}`);
    }
  }

  const report = {
    timestamp: new Date().toISOString(),
    revision: gitRevision(),
    environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavg: loadavg(), exposeGc: Boolean(gc) },
    settings: { ...settings, resultsPath: undefined },
    memory: { before: memoryBefore, after: memoryAfter },
    results: Object.fromEntries(
      Object.entries(results).map(([key, result]) => [key, { ...result, relativeToBaseline: baselineRps ? result.rps / baselineRps : null }]),
    ),
    issuerRequests: issuer.requests.length,
    wallSeconds: (performance.now() - wallStart) / 1000,
    failures,
  };
  mkdirSync(dirname(settings.resultsPath), { recursive: true });
  writeFileSync(settings.resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${settings.resultsPath} (${report.wallSeconds.toFixed(1)} s)`);

  if (failures.length > 0) {
    console.error(`\nbench FAILED:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    const targets = [
      settings.minToolsCallRps !== undefined && `tools/call >= ${settings.minToolsCallRps} req/s`,
      settings.maxHeapGrowthMbPer1k !== undefined && `heap growth <= ${settings.maxHeapGrowthMbPer1k} MB/1k`,
    ].filter(Boolean);
    console.log(`bench OK: no request failed${targets.length ? `; targets met: ${targets.join(', ')}` : ''}`);
  }

  // Everything is closed; if something still holds the event loop, say what, and do not hang.
  const watchdog = setTimeout(() => {
    console.error(`bench: the process did not exit by itself; still active: ${process.getActiveResourcesInfo().join(', ')}`);
    process.exit(process.exitCode || 3);
  }, 5000);
  watchdog.unref();
}

main().catch((error) => {
  console.error('bench: failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 3000).unref();
});
