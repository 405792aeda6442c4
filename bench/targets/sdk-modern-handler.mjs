// The v2 SDK's 2026-07-28 handler alone (@modelcontextprotocol/server createMcpHandler, a fresh
// server per request as it requires) on bare node:http, with no authentication: the SDK's share of
// a modern exchange. It calls the handler as the product does, the cheapest way the SDK allows
// behind a body parser: the low-level Server with handlers that answer at once, a bodiless Request
// carrying only the headers the handler reads, the body given already parsed, the answer read as
// text. (Wired as its examples show, with McpServer, a Request carrying the body and every header,
// and the answer read as bytes, it costs about a tenth more here.)
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { listen, readBody, serveTarget } from './harness.mjs';

const SERVER_INFO = { name: 'sdk-modern-handler', version: '1.0.0' };
const OPTIONS = { capabilities: { tools: { listChanged: false } } };
const TOOLS = { tools: [{ name: 'whoami', description: 'Who the caller is', inputSchema: { type: 'object' } }] };
const WHOAMI = { content: [{ type: 'text', text: '{"userId":null}' }] };
const READ_HEADERS = ['content-type', 'accept', 'mcp-protocol-version', 'mcp-method', 'mcp-name'];

await serveTarget(async () => {
  const handler = createMcpHandler(
    () => {
      const server = new Server(SERVER_INFO, OPTIONS);
      server.setRequestHandler('tools/list', () => TOOLS);
      server.setRequestHandler('tools/call', () => WHOAMI);
      return server;
    },
    { legacy: 'reject' },
  );
  const target = await listen(async (request, response) => {
    const body = await readBody(request);
    const headers = {};
    for (const name of READ_HEADERS)
      if (typeof request.headers[name] === 'string') headers[name] = request.headers[name];
    const answer = await handler.fetch(
      new Request(`http://${request.headers.host}${request.url}`, { method: 'POST', headers }),
      { parsedBody: JSON.parse(body) },
    );
    const text = await answer.text();
    response.writeHead(answer.status, {
      'Content-Type': answer.headers.get('content-type') ?? 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    response.end(text);
  });
  return { port: target.port, close: async () => (await handler.close?.(), target.close()) };
});
