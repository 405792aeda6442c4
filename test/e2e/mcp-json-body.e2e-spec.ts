/**
 * The answers the MCP endpoint gives for the bodies it is sent, as Express's body-parser gave them
 * before the endpoint read its own: the body limit, malformed and non-strict JSON, charsets, content
 * encodings, empty and missing bodies, and a client that goes away mid-body. Written against
 * body-parser's answers, so that any reader in its place answers the same.
 */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { bearer } from '../support/protocol-eras.js';
import { RawHttpConnection } from '../support/raw-http.js';
import { useClerkApp } from '../support/test-app.js';

const LIMIT = 4096;
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
const JSON_TYPE = 'application/json';
const ACCEPT = 'application/json, text/event-stream';

interface Answer {
  status: number;
  body: unknown;
}

/** The JSON-RPC error body the endpoint answers with, id null. */
const rpcError = (code: number, message: unknown): unknown => ({ jsonrpc: '2.0', error: { code, message }, id: null });
const tooLarge = rpcError(-32600, `The request body is larger than ${LIMIT} bytes (BODY_LIMIT_BYTES).`);

/** V8's own message for `text`, which the parse error carries. */
function parseErrorOf(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} parses`);
}

/** Status and JSON body of a raw HTTP/1.1 answer. */
function readAnswer(raw: string): Answer {
  const headEnd = raw.indexOf('\r\n\r\n');
  const text = raw.slice(headEnd + 4);
  return { status: Number(raw.slice(9, 12)), body: text ? JSON.parse(text) : undefined };
}

describe('the MCP endpoint reads its JSON bodies', () => {
  const fixture = useClerkApp({ BODY_LIMIT_BYTES: String(LIMIT) });
  const port = (): number => Number(new URL(fixture.server.baseUrl).port);

  async function post(body: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(fixture.server.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': JSON_TYPE, Accept: ACCEPT, ...bearer(await fixture.clerk.mintJwt()), ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Sends a POST to /mcp over a raw socket: `framing` is the Content-Length or Transfer-Encoding line(s). */
  async function rawPost(framing: string, payload: string, headers: Record<string, string> = {}): Promise<Answer> {
    const head = Object.entries({
      Host: 'localhost',
      'Content-Type': JSON_TYPE,
      Accept: ACCEPT,
      Connection: 'close',
      ...bearer(await fixture.clerk.mintJwt()),
      ...headers,
    })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    return readAnswer(
      await RawHttpConnection.exchange(port(), `POST /mcp HTTP/1.1\r\n${head}${framing}\r\n${payload}`),
    );
  }

  const expectSignedIn = (answer: Answer): void => {
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      jsonrpc: '2.0',
      id: 7,
      result: { structuredContent: { userId: 'user_alice' } },
    });
  };

  describe('in UTF-8', () => {
    it.each([
      ['application/json'],
      ['application/json; charset=utf-8'],
      ['Application/JSON; Charset="UTF-8"'],
      ['application/json;charset=utf-8'],
    ])('takes a call sent as %s', async (contentType) => {
      expectSignedIn(await post(CALL, { 'Content-Type': contentType }));
    });

    it('takes a body that starts with a byte order mark', async () => {
      expectSignedIn(await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CALL)])));
    });

    it('takes a body sent in chunks', async () => {
      const middle = Math.floor(CALL.length / 2);
      const chunk = (text: string): string => `${text.length.toString(16)}\r\n${text}\r\n`;
      expectSignedIn(
        await rawPost(
          'Transfer-Encoding: chunked\r\n',
          `${chunk(CALL.slice(0, middle))}${chunk(CALL.slice(middle))}0\r\n\r\n`,
        ),
      );
    });

    it('reads bytes that are not UTF-8 as replacement characters, as before', async () => {
      const call = {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {}, _meta: {} },
      };
      const [before, after] = JSON.stringify(call).split('{}}}');
      const body = Buffer.concat([
        Buffer.from(`${before}{"x":"`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`"}}}${after}`),
      ]);
      expectSignedIn(await post(body));
    });
  });

  describe('malformed or non-strict JSON', () => {
    it.each(['{"jsonrpc":', '{"jsonrpc":"2.0",}', '[1,2', '{"a":"\u0001"}'])(
      'answers %j with 400 and a JSON-RPC parse error carrying the parser’s message',
      async (body) => {
        expect(await post(body)).toEqual({ status: 400, body: rpcError(-32700, parseErrorOf(body)) });
      },
    );

    it.each([
      ['"x"', `Unexpected token '"', ""x"" is not valid JSON`],
      [' 12', `Unexpected token '1', " 12" is not valid JSON`],
      ['null', `Unexpected token 'n', "null" is not valid JSON`],
      ['\r\n\ttrue', `Unexpected token 't', "\r\n\ttrue" is not valid JSON`],
      [`"${'x'.repeat(40)}"`, `Unexpected token '"', ""${'x'.repeat(9)}"... is not valid JSON`],
      ['   ', 'Unexpected end of JSON input'],
    ])('accepts only objects and arrays: answers %j with 400 and -32700', async (body, message) => {
      expect(await post(body)).toEqual({ status: 400, body: rpcError(-32700, message) });
    });
  });

  describe('empty and missing bodies', () => {
    it('reads an empty body as an empty object, which is not a JSON-RPC message', async () => {
      expect(await post('')).toEqual({
        status: 400,
        body: rpcError(-32600, 'Bad Request: the request body is not a valid JSON-RPC message'),
      });
    });

    it('leaves a POST without any body to the endpoint, which answers with a parse error', async () => {
      expect(await rawPost('', '')).toEqual({
        status: 400,
        body: rpcError(-32700, 'Parse error: the request body is not valid JSON'),
      });
    });
  });

  describe('the body limit', () => {
    const padded = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","_meta":{"pad":"${'x'.repeat(LIMIT)}"}}}`;

    it('answers a body declared larger than BODY_LIMIT_BYTES with 413', async () => {
      expect(await rawPost(`Content-Length: ${padded.length}\r\n`, padded)).toEqual({ status: 413, body: tooLarge });
    });

    it('answers a chunked body that grows past BODY_LIMIT_BYTES with 413', async () => {
      const chunks = padded.match(/.{1,1000}/gs) ?? [];
      const payload = `${chunks.map((chunk) => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('')}0\r\n\r\n`;
      expect(await rawPost('Transfer-Encoding: chunked\r\n', payload)).toEqual({ status: 413, body: tooLarge });
    });

    it('takes a body of exactly BODY_LIMIT_BYTES', async () => {
      const call = JSON.stringify({
        ...JSON.parse(CALL),
        params: { name: 'whoami', arguments: {}, _meta: { pad: '' } },
      });
      expectSignedIn(await post(call.replace('"pad":""', `"pad":"${'x'.repeat(LIMIT - call.length)}"`)));
    });

    it('counts the inflated bytes of a compressed body', async () => {
      expect(await post(gzipSync(padded), { 'Content-Encoding': 'gzip' })).toEqual({ status: 413, body: tooLarge });
    });
  });

  describe('charsets', () => {
    it('reads UTF-16 as body-parser did', async () => {
      expectSignedIn(
        await post(Buffer.from(CALL, 'utf16le'), { 'Content-Type': 'application/json; charset=utf-16le' }),
      );
    });

    it.each([
      ['iso-8859-1', 'ISO-8859-1'],
      ['utf-9', 'UTF-9'],
      ['Windows-1252', 'WINDOWS-1252'],
    ])('refuses charset=%s with 415', async (charset, named) => {
      expect(await post(CALL, { 'Content-Type': `application/json; charset=${charset}` })).toEqual({
        status: 415,
        body: rpcError(-32600, `unsupported charset "${named}"`),
      });
    });
  });

  describe('content encodings', () => {
    it.each<[string, (text: string) => Buffer]>([
      ['gzip', (text) => gzipSync(text)],
      ['deflate', (text) => deflateSync(text)],
      ['br', (text) => brotliCompressSync(text)],
      ['zstd', (text) => zstdCompressSync(Buffer.from(text))],
      ['GZip', (text) => gzipSync(text)],
      ['identity', (text) => Buffer.from(text)],
    ])('inflates a body sent with Content-Encoding: %s', async (encoding, encode) => {
      expectSignedIn(await post(encode(CALL), { 'Content-Encoding': encoding }));
    });

    it.each(['compress', 'gzip, identity', 'x-gzip'])('refuses Content-Encoding: %s with 415', async (encoding) => {
      expect(await post(CALL, { 'Content-Encoding': encoding })).toEqual({
        status: 415,
        body: rpcError(-32600, `unsupported content encoding "${encoding}"`),
      });
    });

    it.each<[string, Buffer]>([
      ['is not gzip at all', Buffer.from(CALL)],
      ['is cut short', gzipSync(CALL).subarray(0, 20)],
    ])('answers a gzip body that %s with 400 and -32700', async (_name, body) => {
      // The message is zlib's, whose errors come from outside Jest's realm: only the shape is pinned.
      expect(await post(body, { 'Content-Encoding': 'gzip' })).toEqual({
        status: 400,
        body: rpcError(-32700, expect.any(String)),
      });
    });
  });

  describe('a client that goes away mid-body', () => {
    /** Records what the application logs at error level: a 500 is always logged. */
    class ErrorRecorder implements LoggerService {
      readonly errors: unknown[] = [];
      log(): void {}
      warn(): void {}
      error(message: unknown): void {
        this.errors.push(message);
      }
    }

    it('gets no answer and no 500, and the server goes on serving', async () => {
      const recorder = new ErrorRecorder();
      fixture.server.app.useLogger(recorder);
      const server = fixture.server.app.getHttpServer() as Server;
      const arrived = once(server, 'request') as Promise<[IncomingMessage, ServerResponse]>;
      const connection = await RawHttpConnection.open(port());
      connection.write(
        `POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${JSON_TYPE}\r\nAccept: ${ACCEPT}\r\n` +
          `Authorization: Bearer ${await fixture.clerk.mintJwt()}\r\nContent-Length: 1000\r\n\r\n${CALL.slice(0, 20)}`,
      );
      const [request, response] = await arrived;
      // The body's reader is listening by now; then the client goes away.
      expect(request.listenerCount('data')).toBeGreaterThan(0);
      connection.destroy();
      await once(response, 'close');
      // The next request is served, after whatever the server did with the abandoned one.
      expectSignedIn(await post(CALL));
      expect(response.statusCode).not.toBe(500);
      expect(recorder.errors).toEqual([]);
    });
  });
});
