import { describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WhoamiTool } from '../../src/identity-tools/whoami.tool.js';
import { McpTool, type McpToolHandler, type ToolContext } from '../../src/mcp/mcp-tool.js';
import { bearer, ERAS, rpc } from '../support/protocol-eras.js';
import { useClerkApp } from '../support/test-app.js';

/** The signal of each call the tool below received, in order; each arrival also settles `nextCall`. */
const calls: AbortSignal[] = [];
let callArrived: () => void = () => undefined;

/** Stands in for whoami: it answers only once its call is cancelled. */
@McpTool({ name: 'whoami', description: 'Waits until its call is cancelled.', inputSchema: { type: 'object' } })
class WaitsForCancellation implements McpToolHandler {
  execute(_args: Record<string, unknown>, { signal }: ToolContext): Promise<CallToolResult> {
    calls.push(signal);
    callArrived();
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve({ content: [{ type: 'text', text: 'cancelled' }] }), {
        once: true,
      }),
    );
  }
}

/**
 * A client that goes away before its answer cancels what it asked for: the tool's signal fires, in
 * both eras, so a long tool stops working for nobody.
 */
describe('a client that goes away mid-call', () => {
  const fixture = useClerkApp(
    {},
    { override: (builder) => builder.overrideProvider(WhoamiTool).useClass(WaitsForCancellation) },
  );

  it.each(ERAS)("cancels the tool's call, in the %s era", async (era) => {
    const nextCall = new Promise<void>((resolve) => (callArrived = resolve));
    const request = rpc(era, 'tools/call', { name: 'whoami', arguments: {} });
    const client = new AbortController();
    const answer = fetch(fixture.server.mcpUrl, {
      method: 'POST',
      headers: { ...request.headers, ...bearer(await fixture.clerk.mintJwt()) },
      body: request.body,
      signal: client.signal,
    }).then(
      () => 'answered',
      () => 'gave up',
    );
    await nextCall;
    const signal = calls[calls.length - 1];
    const cancelled = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    expect(signal.aborted).toBe(false);

    client.abort();
    await cancelled;
    expect(signal.aborted).toBe(true);
    expect(await answer).toBe('gave up');
  });
});
