import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Request, Response } from 'express';
import { McpJsonBodyMiddleware } from '../../../src/mcp/json-body.middleware.js';
import { configModule } from '../../support/unit-context.js';

const LIMIT = 1024;

/** What the middleware handed on: nothing yet, or each call of `next` with its argument. */
class Handoffs {
  readonly calls: unknown[] = [];
  readonly next = (error?: unknown): void => {
    this.calls.push(error);
  };
}

/** A request as Node delivers it, a stream of body bytes, with the headers the middleware reads. */
function incoming(headers: Record<string, string>): Request & PassThrough {
  const stream = new PassThrough();
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return Object.assign(stream, {
    method: 'POST',
    url: '/mcp',
    headers: lowerCased,
    rawHeaders: Object.entries(headers).flat(),
  }) as unknown as Request & PassThrough;
}

const signedIn = { 'Content-Type': 'application/json', Authorization: 'Bearer abc.def.ghi' };

describe('McpJsonBodyMiddleware', () => {
  let moduleRef: TestingModule;
  let middleware: McpJsonBodyMiddleware;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [await configModule({ BODY_LIMIT_BYTES: String(LIMIT) })],
      providers: [McpJsonBodyMiddleware],
    }).compile();
    middleware = moduleRef.get(McpJsonBodyMiddleware);
  });
  afterAll(async () => moduleRef.close());

  function start(request: Request): Handoffs {
    const handoffs = new Handoffs();
    middleware.use(request, {} as Response, handoffs.next);
    return handoffs;
  }

  it('parses the body into request.body, a character split across chunks included, and hands on once', async () => {
    const request = incoming({ ...signedIn, 'Transfer-Encoding': 'chunked' });
    const handoffs = start(request);
    const euro = Buffer.from('{"price":"€"}');
    request.write(euro.subarray(0, 11));
    request.end(euro.subarray(11));
    await new Promise((resolve) => request.once('end', resolve));
    expect(handoffs.calls).toEqual([undefined]);
    expect(request.body).toEqual({ price: '€' });
  });

  it('stops keeping a body as soon as it grows past the limit, and hands on a 413 before it ends', () => {
    const request = incoming({ ...signedIn, 'Transfer-Encoding': 'chunked' });
    const handoffs = start(request);
    request.write(Buffer.alloc(LIMIT - 1, 0x20));
    expect(handoffs.calls).toEqual([]);
    request.write(Buffer.alloc(2, 0x20));
    expect(handoffs.calls).toHaveLength(1);
    expect(handoffs.calls[0]).toBeInstanceOf(PayloadTooLargeException);
    expect(request.listenerCount('data')).toBe(0);
    expect(request.readableEnded).toBe(false);
    request.write(Buffer.alloc(LIMIT, 0x20));
    expect(handoffs.calls).toHaveLength(1);
  });

  it('refuses a declared length over the limit with 413 without reading', () => {
    const request = incoming({ ...signedIn, 'Content-Length': String(LIMIT + 1) });
    const handoffs = start(request);
    expect(handoffs.calls).toHaveLength(1);
    expect(handoffs.calls[0]).toBeInstanceOf(PayloadTooLargeException);
    expect(request.listenerCount('data')).toBe(0);
  });

  it('hands a client that goes away mid-body on once, as a 400', () => {
    const request = incoming({ ...signedIn, 'Content-Length': '100' });
    const handoffs = start(request);
    request.write('{"jsonrpc":');
    request.destroy();
    return new Promise<void>((resolve) =>
      request.once('close', () => {
        expect(handoffs.calls).toHaveLength(1);
        expect(handoffs.calls[0]).toBeInstanceOf(BadRequestException);
        expect((handoffs.calls[0] as BadRequestException).message).toBe('request aborted');
        resolve();
      }),
    );
  });

  it.each<[string, Record<string, string>]>([
    ['a request without credentials, which the guard refuses anyway', { 'Content-Type': 'application/json' }],
    ['a malformed Authorization header', { 'Content-Type': 'application/json', Authorization: 'Bearer a b' }],
    ['a gzipped body, left to body-parser', { ...signedIn, 'Content-Encoding': 'gzip' }],
    ['a UTF-16 body, left to body-parser', { ...signedIn, 'Content-Type': 'application/json; charset=utf-16le' }],
    ['a form, left to body-parser', { ...signedIn, 'Content-Type': 'application/x-www-form-urlencoded' }],
  ])('does not read %s', (_name, headers) => {
    const request = incoming({ ...headers, 'Content-Length': '10' });
    const handoffs = start(request);
    expect(handoffs.calls).toEqual([undefined]);
    expect(request.listenerCount('data')).toBe(0);
  });

  it('leaves a request without a body as it is', () => {
    const request = incoming(signedIn);
    const handoffs = start(request);
    expect(handoffs.calls).toEqual([undefined]);
    expect(request.body).toBeUndefined();
    expect(request.listenerCount('data')).toBe(0);
  });
});
