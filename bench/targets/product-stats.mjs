// Preloaded into the product (`node --import bench/targets/product-stats.mjs dist/main.js`) so
// that the product runs exactly as `npm start` runs it, and still answers the orchestrator's
// `stats` requests over IPC with its own CPU time and memory. It adds nothing to a request.
const MB = 1024 * 1024;

process.on('message', (message) => {
  if (message?.type !== 'stats') return;
  if (message.gc && typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const { rss, heapUsed } = process.memoryUsage();
  process.send({ type: 'stats', id: message.id, cpu: process.cpuUsage(), rssMb: rss / MB, heapUsedMb: heapUsed / MB });
});
// The IPC channel must not keep the product alive once it has drained on SIGTERM.
process.channel?.unref();
