// The v2 SDK's 2026-07-28 handler alone (@modelcontextprotocol/server createMcpHandler, a fresh
// McpServer per request as it requires) on bare node:http, with no authentication: the cost the
// modern era adds before anything of ours runs.
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { listen, readBody, serveTarget } from './harness.mjs';

await serveTarget(async () => {
  const handler = createMcpHandler(
    () => {
      const mcp = new McpServer({ name: 'sdk-modern-handler', version: '1.0.0' });
      mcp.registerTool('whoami', { description: 'Who the caller is' }, () => ({
        content: [{ type: 'text', text: '{"userId":null}' }],
      }));
      return mcp;
    },
    { legacy: 'reject' },
  );
  const target = await listen(async (request, response) => {
    const body = await readBody(request);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers))
      if (typeof value === 'string') headers.set(name, value);
    const answer = await handler.fetch(
      new Request(`http://${request.headers.host}${request.url}`, { method: request.method, headers, body }),
      {
        parsedBody: JSON.parse(body),
      },
    );
    const bytes = Buffer.from(await answer.arrayBuffer());
    response.writeHead(answer.status, {
      'Content-Type': answer.headers.get('content-type') ?? 'application/json',
      'Content-Length': bytes.length,
    });
    response.end(bytes);
  });
  return { port: target.port, close: async () => (await handler.close?.(), target.close()) };
});
