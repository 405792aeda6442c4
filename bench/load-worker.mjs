// The load generator, run in a worker thread so that the client's own CPU (building requests,
// parsing answers) is not charged to the server's event loop on the main thread.
//
// It speaks just enough HTTP/1.1 over raw keep-alive sockets (one request in flight per socket,
// Content-Length or chunked answers): node:http's client costs about as much CPU per request as a
// bare node:http server, so with it the baseline would measure the client, not the server.
//
// Protocol: the main thread posts { type: 'run', id, scenario, requests, concurrency, maxMs, durationMs } and
// gets { type: 'result', id, ... } back; { type: 'close' } ends the worker. With `durationMs`, a run
// sends requests for that long (at most `requests` of them); without it, exactly `requests`. Either
// way a run still going at `maxMs` stops there and is marked truncated.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

const REQUEST_TIMEOUT_MS = 10_000;
const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** One keep-alive socket; `send` writes the whole request and resolves with the parsed answer. */
class Connection {
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.socket = undefined;
    this.pending = undefined;
    this.buffer = Buffer.alloc(0);
  }

  open() {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.setTimeout(REQUEST_TIMEOUT_MS);
    socket.on('data', (chunk) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('timeout', () => socket.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    socket.on('error', (error) => this.fail(error.message));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.fail('connection closed before the answer was complete');
    });
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
  }

  send(requestBytes) {
    if (!this.socket || this.socket.destroyed) this.open();
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket.write(requestBytes);
    });
  }

  fail(problem) {
    const pending = this.pending;
    this.pending = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    pending?.({ status: 0, headers: {}, body: '', problem: `socket: ${problem}` });
  }

  parse() {
    if (!this.pending) return;
    const buffer = this.buffer;
    const headEnd = buffer.indexOf(HEADER_END);
    if (headEnd < 0) return;
    const lines = buffer.toString('latin1', 0, headEnd).split('\r\n');
    const status = Number(lines[0].slice(9, 12));
    const headers = {};
    for (let i = 1; i < lines.length; i += 1) {
      const colon = lines[i].indexOf(':');
      if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
    }
    const bodyStart = headEnd + 4;
    let body;
    let end;
    if (headers['content-length'] !== undefined) {
      end = bodyStart + Number(headers['content-length']);
      if (buffer.length < end) return;
      body = buffer.subarray(bodyStart, end);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts = [];
      let at = bodyStart;
      for (;;) {
        const lineEnd = buffer.indexOf(CRLF, at);
        if (lineEnd < 0) return;
        const size = parseInt(buffer.toString('latin1', at, lineEnd), 16);
        if (Number.isNaN(size)) return this.fail('bad chunk size');
        if (size === 0) {
          // No trailers expected: the last chunk is followed by one empty line.
          if (buffer.length < lineEnd + 4) return;
          end = lineEnd + 4;
          break;
        }
        if (buffer.length < lineEnd + 2 + size + 2) return;
        parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      return this.fail('answer with neither Content-Length nor chunked encoding');
    }
    this.buffer = buffer.length > end ? buffer.subarray(end) : Buffer.alloc(0);
    const pending = this.pending;
    this.pending = undefined;
    if (/close/i.test(headers.connection ?? '')) {
      const socket = this.socket;
      this.socket = undefined;
      socket?.end();
    }
    pending({ status, headers, body: body.toString('utf8') });
  }

  close() {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** Connections per target, kept across the warm-up and the measured run. */
const pools = new Map();
function poolFor(scenario, concurrency) {
  const key = `${scenario.host}:${scenario.port}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = []));
  while (pool.length < concurrency) pool.push(new Connection(scenario.host, scenario.port));
  return pool.slice(0, concurrency);
}

/**
 * The bytes of every request a run sends, in turn: one per entry of `scenario.rotate` (extra
 * headers, such as 10,000 different tokens), or a single request when there is none.
 */
function requestsOf(scenario) {
  const extras = scenario.rotate?.length ? scenario.rotate : [{}];
  return extras.map((extra) => requestBytes({ ...scenario, headers: { ...scenario.headers, ...extra } }));
}

function requestBytes({ host, port, method, path, headers, body }) {
  const hasHost = Object.keys(headers).some((name) => name.toLowerCase() === 'host');
  const head = [
    `${method} ${path} HTTP/1.1`,
    ...Object.entries({ ...(hasHost ? {} : { Host: `${host}:${port}` }), Connection: 'keep-alive', ...headers }).map(
      ([name, value]) => `${name}: ${value}`,
    ),
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(body ?? '', 'utf8')]);
}

/** Does this answer count as the expected one? Returns undefined when it does, else why not. */
function check(kind, { status, headers, body, problem }) {
  if (problem) return problem;
  switch (kind) {
    case 'tool-result': {
      if (status !== 200) return `status ${status}`;
      const message = parse(body);
      if (!message?.result) return `no JSON-RPC result: ${body.slice(0, 120)}`;
      if (message.result.isError) return `tool error: ${body.slice(0, 120)}`;
      return undefined;
    }
    case 'tool-list': {
      if (status !== 200) return `status ${status}`;
      const tools = parse(body)?.result?.tools;
      return Array.isArray(tools) && tools.length > 0 ? undefined : `no tools: ${body.slice(0, 120)}`;
    }
    case 'challenge':
      if (status !== 401) return `status ${status}`;
      return (headers['www-authenticate'] ?? '').startsWith('Bearer ') ? undefined : 'no Bearer challenge';
    case 'forged':
      if (status !== 401) return `status ${status}`;
      return /error="invalid_token"/.test(headers['www-authenticate'] ?? '') ? undefined : 'no invalid_token challenge';
    case 'refused':
      return status === 401 ? undefined : `status ${status}`;
    case 'document': {
      if (status !== 200) return `status ${status}`;
      return parse(body) === undefined ? 'not JSON' : undefined;
    }
    case 'ok':
      return status === 200 ? undefined : `status ${status}`;
    default:
      return `unknown check ${kind}`;
  }
}

function parse(body) {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

async function run({ scenario, requests, concurrency, maxMs, durationMs: sendingMs }) {
  const connections = poolFor(scenario, concurrency);
  const variants = requestsOf(scenario);
  const latencies = new Float64Array(requests);
  const problems = new Map();
  let issued = 0;
  let completed = 0;
  let errors = 0;
  let truncated = false;
  const started = performance.now();
  const deadline = started + maxMs;
  const stopAt = sendingMs === undefined ? Infinity : started + sendingMs;

  async function loop(connection) {
    while (issued < requests) {
      const sent = performance.now();
      if (sent >= stopAt) return;
      if (sent > deadline) {
        truncated = true;
        return;
      }
      issued += 1;
      const answer = await connection.send(variants[issued % variants.length]);
      latencies[completed] = performance.now() - sent;
      completed += 1;
      const problem = check(scenario.check, answer);
      if (problem) {
        errors += 1;
        problems.set(problem, (problems.get(problem) ?? 0) + 1);
      }
    }
  }
  await Promise.all(connections.slice(0, Math.min(concurrency, requests)).map(loop));
  const durationMs = performance.now() - started;
  const sorted = latencies.subarray(0, completed).sort();
  const at = (q) => (completed === 0 ? NaN : sorted[Math.min(completed - 1, Math.ceil(q * completed) - 1)]);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    completed,
    errors,
    truncated,
    durationMs,
    rps: completed / (durationMs / 1000),
    latencyMs: {
      mean: completed ? sum / completed : NaN,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: completed ? sorted[completed - 1] : NaN,
    },
    problems: [...problems].slice(0, 5).map(([problem, count]) => ({ problem, count })),
  };
}

parentPort.on('message', async (message) => {
  if (message.type === 'close') {
    for (const pool of pools.values()) for (const connection of pool) connection.close();
    parentPort.close();
    return;
  }
  if (message.type === 'run') {
    try {
      parentPort.postMessage({ type: 'result', id: message.id, ...(await run(message)) });
    } catch (error) {
      parentPort.postMessage({
        type: 'result',
        id: message.id,
        failure: error instanceof Error ? error.stack : String(error),
      });
    }
  }
});
