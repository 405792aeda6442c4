/**
 * A request the bearer guard refuses whatever its body says is refused before its body is read: an
 * anonymous flood of large bodies must not make the server buffer and parse each of them first.
 * The requests go over raw sockets, so a test can hold back the rest of a body and see the answer
 * arrive anyway.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClerkStandIn } from '../support/clerk-stand-in.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const DECLARED_LENGTH = 1_000_000;
const CALL_START =
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{},"_meta":{"pad":"';

/** A raw HTTP/1.1 exchange: the head and the first part of a body, then whatever the server answers. */
class RawExchange {
  private received = '';
  private readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.received += chunk));
    // A server that waits for the rest of the body never answers: fail then, rather than hang the suite.
    this.socket.setTimeout(5000, () => this.socket.destroy());
  }

  /** Sends the head with its Content-Length, and only `firstPart` of the body. */
  async sendHead(
    headers: Record<string, string>,
    contentLength: number,
    firstPart: string,
    target = '/mcp',
  ): Promise<void> {
    const head = Object.entries({ Host: 'localhost', 'Content-Type': 'application/json', ...headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    await once(this.socket, 'connect');
    this.socket.write(`POST ${target} HTTP/1.1\r\n${head}Content-Length: ${contentLength}\r\n\r\n${firstPart}`);
  }

  /** The status line and headers of the answer, as soon as they are complete. */
  async answerHead(): Promise<string> {
    while (!this.received.includes('\r\n\r\n')) {
      const [chunk] = (await Promise.race([once(this.socket, 'data'), once(this.socket, 'close')])) as unknown[];
      if (chunk === undefined || typeof chunk === 'boolean') throw new Error(`closed; received ${this.received}`);
    }
    return this.received.slice(0, this.received.indexOf('\r\n\r\n'));
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('bodies of requests refused anyway', () => {
  let clerk: ClerkStandIn;
  let required: TestApp;
  let mixed: TestApp;
  const portOf = (server: TestApp): number => Number(new URL(server.baseUrl).port);

  beforeAll(async () => {
    clerk = await ClerkStandIn.start();
    required = await startTestApp(clerk);
    mixed = await startTestApp(clerk, { MCP_AUTH_MODE: 'mixed' });
  });
  afterAll(async () => {
    await required.close();
    await mixed.close();
    await clerk.close();
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'without credentials: 401 with the challenge',
      {},
      /^HTTP\/1\.1 401 .*\r\nWWW-Authenticate: Bearer resource_metadata=/s,
    ],
    ['with Basic credentials: 401 with the challenge', { Authorization: 'Basic dXNlcjpwYXNz' }, /^HTTP\/1\.1 401 /],
    [
      'with a malformed bearer header: 400 invalid_request',
      { Authorization: 'Bearer a b' },
      /^HTTP\/1\.1 400 .*invalid_request/s,
    ],
    ['from a foreign Origin: 403 from the guard ahead', { Origin: 'https://evil.example' }, /^HTTP\/1\.1 403 /],
    [
      'without credentials in a charset other than UTF-8: 401',
      { 'Content-Type': 'application/json; charset=utf-16le' },
      /^HTTP\/1\.1 401 /,
    ],
    ['without credentials, gzipped: 401', { 'Content-Encoding': 'gzip' }, /^HTTP\/1\.1 401 /],
  ])('answers a request %s before its body has arrived', async (_name, headers, expected) => {
    const exchange = new RawExchange(portOf(required));
    try {
      await exchange.sendHead(headers, DECLARED_LENGTH, CALL_START);
      expect(await exchange.answerHead()).toMatch(expected);
    } finally {
      exchange.close();
    }
  });

  it.each(['access_token=abc', 'access%5Ftoken=abc', 'x=1&%61ccess_token=abc'])(
    'answers a request with a bearer header and %s in the query with 400 before its body has arrived',
    async (query) => {
      const headers = { Authorization: `Bearer ${await clerk.mintJwt()}` };
      const exchange = new RawExchange(portOf(required));
      try {
        await exchange.sendHead(headers, DECLARED_LENGTH, CALL_START, `/mcp?${query}`);
        expect(await exchange.answerHead()).toMatch(/^HTTP\/1\.1 400 .*invalid_request/s);
      } finally {
        exchange.close();
      }
    },
  );

  it('answers a malformed bearer header in mixed mode with 400 before the body has arrived', async () => {
    const exchange = new RawExchange(portOf(mixed));
    try {
      await exchange.sendHead({ Authorization: 'Bearer a b' }, DECLARED_LENGTH, CALL_START);
      expect(await exchange.answerHead()).toMatch(/^HTTP\/1\.1 400 .*invalid_request/s);
    } finally {
      exchange.close();
    }
  });

  it('answers malformed JSON without credentials with the 401 too: the body is never parsed', async () => {
    const response = await fetch(required.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"jsonrpc":',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata=/);
  });

  it('still answers a body larger than BODY_LIMIT_BYTES with 413, credentials or not', async () => {
    const body = `${CALL_START}${'x'.repeat(2 * 1_048_576)}"}}}`;
    const response = await fetch(required.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(response.status).toBe(413);
  });

  it('reads the body when a token may let the request through', async () => {
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
    const signedIn = await fetch(required.mcpUrl, {
      method: 'POST',
      headers: { ...headers, Authorization: `Bearer ${await clerk.mintJwt()}` },
      body: JSON.stringify(call),
    });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.text()).toContain('user_alice');
    // Mixed mode lets an anonymous request through to the tool, which needs the body to answer its sign-in challenge.
    const anonymous = await fetch(mixed.mcpUrl, { method: 'POST', headers, body: JSON.stringify(call) });
    expect(anonymous.status).toBe(200);
    expect(await anonymous.text()).toMatch(/"id":1/);
  });
});
