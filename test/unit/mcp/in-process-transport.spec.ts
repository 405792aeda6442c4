import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { InProcessTransport } from '../../../src/mcp/in-process-transport.js';
import { SharedLegacyServer } from '../../../src/mcp/shared-legacy-server.js';

/** A promise the test settles by hand: how a tool is held in flight without sleeping. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** A `hold` call in flight: the tool waits for `release`, and records its signal. */
interface HeldCall {
  label: string;
  signal: AbortSignal;
  release: () => void;
}

/**
 * The tools the servers under test answer: `echo` returns its label; `whoami` what the handler got in
 * `extra`; `hold` waits until the test releases it (or its signal aborts), announcing itself on `held`.
 */
class Tools {
  private readonly waiters: ((call: HeldCall) => void)[] = [];
  private readonly arrived: HeldCall[] = [];
  initializedNotifications = 0;

  /** The next `hold` call to start, whether it started already or not yet. */
  held(): Promise<HeldCall> {
    const call = this.arrived.shift();
    if (call) return Promise.resolve(call);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  build(): Server {
    const server = new Server({ name: 'test', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.oninitialized = () => this.initializedNotifications++;
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: ['echo', 'whoami', 'hold'].map((name) => ({ name, inputSchema: { type: 'object' as const } })),
    }));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      this.call(request.params.name, labelOf(request.params.arguments), extra),
    );
    return server;
  }

  private async call(
    name: string,
    label: string,
    extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  ): Promise<CallToolResult> {
    if (name === 'whoami') {
      const seen = {
        clientId: extra.authInfo?.clientId,
        probe: extra.requestInfo?.headers['x-probe'],
        path: extra.requestInfo?.url?.pathname,
      };
      return text(JSON.stringify(seen));
    }
    if (name === 'hold') {
      const released = deferred();
      const call = { label, signal: extra.signal, release: () => released.resolve() };
      const waiter = this.waiters.shift();
      if (waiter) waiter(call);
      else this.arrived.push(call);
      await released.promise;
    }
    return text(label);
  }
}

const labelOf = (args: Record<string, unknown> | undefined): string =>
  typeof args?.label === 'string' ? args.label : '';

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

const AUTH: AuthInfo = { token: 'opaque', clientId: 'client-1', scopes: ['mcp'] };

type PostHandler = (request: IncomingMessage, response: ServerResponse, body: unknown) => Promise<void>;

/** A loopback HTTP server that parses a JSON body, as Express does before the endpoint sees it. */
async function listen(handle: PostHandler): Promise<{ url: string; server: HttpServer }> {
  const server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      await handle(request, response, raw === '' ? undefined : JSON.parse(raw));
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
}

async function stop(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
};

interface Answer {
  status: number;
  contentType: string | null;
  body: unknown;
}

async function post(url: string, body: unknown, headers: Record<string, string> = HEADERS): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: raw === '' ? undefined : JSON.parse(raw),
  };
}

const call = (id: string | number, name: string, label = ''): object => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: { label } },
});

const initialize = (id: number): object => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'c', version: '1' } },
});

const cancelled = (requestId: string | number): object => ({
  jsonrpc: '2.0',
  method: 'notifications/cancelled',
  params: { requestId, reason: 'changed my mind' },
});

describe('SharedLegacyServer on the in-process transport', () => {
  let tools: Tools;
  let shared: SharedLegacyServer;
  let sharedHttp: { url: string; server: HttpServer };
  let referenceHttp: { url: string; server: HttpServer };

  beforeAll(async () => {
    tools = new Tools();
    shared = await SharedLegacyServer.connect(tools.build());
    sharedHttp = await listen((request, response, body) => shared.handlePost(request, response, body, AUTH));
    // The SDK's own stateless JSON-mode pattern: a Server and a transport per POST.
    referenceHttp = await listen(async (request, response, body) => {
      const server = tools.build();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      response.on('close', () => void server.close());
      await server.connect(transport);
      await transport.handleRequest(Object.assign(request, { auth: AUTH }), response, body);
    });
  });

  afterAll(async () => {
    await Promise.all([stop(sharedHttp.server), stop(referenceHttp.server)]);
    await shared.close();
  });

  describe('answers exactly as the SDK transport does in stateless JSON mode', () => {
    const cases: [string, unknown, Record<string, string>?][] = [
      ['initialize', initialize(1)],
      [
        'initialize with an unknown protocol version header',
        initialize(1),
        { ...HEADERS, 'mcp-protocol-version': 'x' },
      ],
      ['tools/list', { jsonrpc: '2.0', id: 'list', method: 'tools/list' }],
      ['tools/call', call(3, 'echo', 'hello')],
      ['the identity and request info handed to handlers', call(4, 'whoami'), { ...HEADERS, 'x-probe': 'seen' }],
      ['ping', { jsonrpc: '2.0', id: 5, method: 'ping' }],
      ['an unknown method', { jsonrpc: '2.0', id: 6, method: 'no/such' }],
      ['a batch of requests', [call('a', 'echo', 'first'), { jsonrpc: '2.0', id: 'b', method: 'tools/list' }]],
      ['a batch of a request and a notification', [call(7, 'echo', 'x'), { jsonrpc: '2.0', method: 'n/x' }]],
      ['a notification alone', { jsonrpc: '2.0', method: 'notifications/initialized' }],
      ['a response alone', { jsonrpc: '2.0', id: 99, result: {} }],
      ['a missing Accept', call(8, 'echo'), { 'content-type': 'application/json' }],
      ['an Accept without event streams', call(8, 'echo'), { ...HEADERS, accept: 'application/json' }],
      ['a Content-Type that is not JSON', call(8, 'echo'), { ...HEADERS, 'content-type': 'text/plain' }],
      ['a JSON Content-Type with parameters', call(8, 'echo'), { ...HEADERS, 'content-type': 'application/json; a=b' }],
      ['an unsupported protocol version', call(9, 'echo'), { ...HEADERS, 'mcp-protocol-version': '1999-01-01' }],
      ['no protocol version header', call(9, 'echo', 'v'), { ...HEADERS, 'mcp-protocol-version': '' }],
      ['no body', undefined],
      ['a batch over the SDK limit', Array.from({ length: 101 }, (_, index) => call(index, 'echo'))],
      ['a message that is not JSON-RPC', { jsonrpc: '1.0', id: 1, method: 'ping' }],
      ['a request with an unknown member', { jsonrpc: '2.0', id: 1, method: 'ping', extra: true }],
      ['initialize inside a batch', [initialize(1), { jsonrpc: '2.0', id: 2, method: 'ping' }]],
    ];

    it.each(cases)('%s', async (_name, body, headers = HEADERS) => {
      // fetch cannot send an empty header: an empty value stands for "leave it out".
      const sent = Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ''));
      const expected = await post(referenceHttp.url, body, sent);
      const answer = await post(sharedHttp.url, body, sent);
      expect(answer).toEqual(expected);
    });
  });

  it('hands handlers the identity and request info of their own request', async () => {
    const answer = await post(sharedHttp.url, call(1, 'whoami'), { ...HEADERS, 'x-probe': 'mine' });
    expect(answer.body).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: text(JSON.stringify({ clientId: 'client-1', probe: 'mine', path: '/mcp' })),
    });
  });

  it('keeps concurrent requests that use the same id apart, each answered under its own id', async () => {
    const labels = ['one', 'two', 'three'];
    const answers = labels.map((label) => post(sharedHttp.url, call(1, 'hold', label)));
    const held = await Promise.all(labels.map(() => tools.held()));
    expect(held.map((heldCall) => heldCall.label).sort()).toEqual([...labels].sort());
    // Released last to first, so an answer matched by id alone would reach the wrong request.
    for (const heldCall of [...held].reverse()) heldCall.release();
    expect((await Promise.all(answers)).map((answer) => answer.body)).toEqual(
      labels.map((label) => ({ jsonrpc: '2.0', id: 1, result: text(label) })),
    );
  });

  it('answers a batch in the order of its requests, whichever finishes first', async () => {
    const answer = post(sharedHttp.url, [call('slow', 'hold', 'slow'), call('fast', 'echo', 'fast')]);
    const held = await tools.held();
    held.release();
    expect((await answer).body).toEqual([
      { jsonrpc: '2.0', id: 'slow', result: text('slow') },
      { jsonrpc: '2.0', id: 'fast', result: text('fast') },
    ]);
  });

  it("fires the tool's signal when its client goes away, and keeps serving", async () => {
    const client = new AbortController();
    const abandoned = fetch(sharedHttp.url, {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify(call(1, 'hold', 'abandoned')),
      signal: client.signal,
    });
    const held = await tools.held();
    client.abort();
    await expect(abandoned).rejects.toThrow();
    if (!held.signal.aborted) await once(held.signal, 'abort');
    expect(held.signal.aborted).toBe(true);
    expect((await post(sharedHttp.url, call(1, 'echo', 'after'))).body).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: text('after'),
    });
  });

  it('cancels a request named by a cancellation in its own batch, and answers the rest', async () => {
    const answer = post(sharedHttp.url, [call(1, 'hold', 'cancelled'), cancelled(1), call(2, 'echo', 'kept')]);
    const held = await tools.held();
    if (!held.signal.aborted) await once(held.signal, 'abort');
    expect((await answer).body).toEqual({ jsonrpc: '2.0', id: 2, result: text('kept') });
  });

  it('answers 202 when every request of a batch is cancelled within it', async () => {
    const answer = post(sharedHttp.url, [cancelled('only'), call('only', 'hold', 'cancelled')]);
    const held = await tools.held();
    if (!held.signal.aborted) await once(held.signal, 'abort');
    expect(await answer).toEqual({ status: 202, contentType: null, body: undefined });
  });

  it("ignores a cancellation that names another request's id", async () => {
    const first = post(sharedHttp.url, call(7, 'hold', 'first'));
    const held = await tools.held();
    expect((await post(sharedHttp.url, cancelled(7))).status).toBe(202);
    // Another client's request with the same id is served whole, so the cancellation reached no handler.
    expect((await post(sharedHttp.url, call(7, 'echo', 'second'))).body).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: text('second'),
    });
    expect(held.signal.aborted).toBe(false);
    held.release();
    expect((await first).body).toEqual({ jsonrpc: '2.0', id: 7, result: text('first') });
  });

  it('passes notifications on to the server', async () => {
    const before = tools.initializedNotifications;
    expect((await post(sharedHttp.url, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    // Notification handlers run a microtask after delivery; the answer comes later still.
    expect(tools.initializedNotifications).toBe(before + 1);
  });
});

describe('SharedLegacyServer when its server closes', () => {
  let tools: Tools;
  let shared: SharedLegacyServer;
  let http: { url: string; server: HttpServer };

  beforeAll(async () => {
    tools = new Tools();
    shared = await SharedLegacyServer.connect(tools.build());
    http = await listen((request, response, body) => shared.handlePost(request, response, body, AUTH));
  });

  afterAll(() => stop(http.server));

  it('aborts the handlers in flight and answers their requests 503, then refuses new ones the same way', async () => {
    const answer = post(http.url, call(1, 'hold', 'interrupted'));
    const held = await tools.held();
    await shared.close();
    expect(held.signal.aborted).toBe(true);
    const refusal = {
      status: 503,
      contentType: 'application/json',
      body: {
        jsonrpc: '2.0',
        error: {
          code: -32000,
          message: 'Service Unavailable: the server is shutting down; retry on another connection.',
        },
        id: null,
      },
    };
    expect(await answer).toEqual(refusal);
    expect(await post(http.url, call(2, 'echo'))).toEqual(refusal);
  });
});

describe('InProcessTransport', () => {
  it('starts once, as the SDK transports do', async () => {
    const transport = new InProcessTransport();
    await transport.start();
    await expect(transport.start()).rejects.toThrow('Transport already started');
  });
});
