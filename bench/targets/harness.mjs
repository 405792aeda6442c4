// What every benchmark target process shares: it starts its server on 127.0.0.1, reports the
// port to the orchestrator over IPC, and answers `stats` requests with its own CPU time and
// memory, so that the orchestrator charges each target only with the CPU of its own process.
import { createServer } from 'node:http';

const MB = 1024 * 1024;

/** Runs `start` (which must resolve with { port, close }) and serves the orchestrator's requests. */
export async function serveTarget(start) {
  const settings = JSON.parse(process.env.BENCH_TARGET_SETTINGS ?? '{}');
  const target = await start(settings);
  process.on('message', async (message) => {
    if (message.type === 'stats') {
      if (message.gc && typeof globalThis.gc === 'function') {
        globalThis.gc();
        globalThis.gc();
      }
      const { rss, heapUsed } = process.memoryUsage();
      process.send({
        type: 'stats',
        id: message.id,
        cpu: process.cpuUsage(),
        rssMb: rss / MB,
        heapUsedMb: heapUsed / MB,
      });
    } else if (message.type === 'close') {
      await target.close();
      process.disconnect();
    }
  });
  process.send({ type: 'ready', port: target.port, ...(target.details ?? {}) });
}

/** Starts a node:http server for `handler` on an ephemeral loopback port. */
export async function listen(handler) {
  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    server,
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads a request body as a string (the same work every target does before answering). */
export function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
