// The runtime's floor: a bare node:http JSON-RPC responder. It reads and parses the body, then
// answers a fixed tool result with the request's id. Nothing real can be cheaper.
import { listen, readBody, serveTarget } from './harness.mjs';

await serveTarget(async () =>
  listen(async (request, response) => {
    const message = JSON.parse(await readBody(request));
    const answer = JSON.stringify({
      jsonrpc: '2.0',
      id: message.id,
      result: { content: [{ type: 'text', text: '{"ok":true}' }] },
    });
    response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
    response.end(answer);
  }),
);
