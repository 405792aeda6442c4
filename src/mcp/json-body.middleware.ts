import { BadRequestException, Inject, Injectable, PayloadTooLargeException, type NestMiddleware } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import { httpConfig, mcpConfig } from '../config/namespaces.js';
import type { AuthMode } from '../config/environment.js';
import { isPlainJsonBody, refusedWhateverTheBody } from '../unread-refused-bodies.js';

/** A character other than JSON's whitespace (RFC 8259 §2). */
const NOT_WHITESPACE = /[^ \t\n\r]/;

/**
 * Reads the MCP endpoint's JSON bodies in UTF-8, sent as they are (see {@link isPlainJsonBody}; the
 * application's body-parser reads any other), and answers as body-parser did: 413 for a body over
 * BODY_LIMIT_BYTES, declared or streamed, which is never buffered past the limit; 400 with the
 * parser's message for malformed JSON, or for a value other than an object or an array at the top
 * (body-parser's `strict`); an empty body reads as `{}`. The errors go to the error filter, which
 * answers them as JSON-RPC errors. A request the bearer guard refuses whatever its body says is not
 * read at all: Node discards its body once the answer is sent.
 */
@Injectable()
export class McpJsonBodyMiddleware implements NestMiddleware<Request, Response> {
  private readonly limit: number;
  private readonly authMode: AuthMode;

  constructor(
    @Inject(httpConfig.KEY) http: ConfigType<typeof httpConfig>,
    @Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>,
  ) {
    this.limit = http.bodyLimitBytes;
    this.authMode = mcp.authMode;
  }

  use(request: Request, _response: Response, next: NextFunction): void {
    // Already read when the application's parser took it: a spelling of the path it does not count as
    // the MCP endpoint's (Express routes /MCP here too), or another method.
    if (request.method !== 'POST' || request.readableEnded || !isPlainJsonBody(request) || !hasBody(request))
      return next();
    if (Number(request.headers['content-length']) > this.limit) return next(new PayloadTooLargeException());
    if (refusedWhateverTheBody(request, this.authMode)) return next();
    readJsonBody(request, this.limit, next);
  }
}

/** A body is framed by a Content-Length or a Transfer-Encoding; without either, a request has none. */
function hasBody(request: Request): boolean {
  return request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
}

/**
 * Collects the body up to `limit` bytes, then parses it into `request.body`. Past the limit it stops
 * keeping what arrives, and the rest is discarded as it comes. A client that goes away mid-body is
 * handed on as a 400, as body-parser did; nobody is left to read it.
 */
function readJsonBody(request: Request, limit: number, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let received = 0;
  const settle = (error?: unknown): void => {
    request.off('data', onData);
    request.off('end', onEnd);
    request.off('error', onAborted);
    request.off('close', onAborted);
    next(error);
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) settle(new PayloadTooLargeException());
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    try {
      request.body = parseStrictJson(utf8Text(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received)));
    } catch (error) {
      settle(new BadRequestException((error as SyntaxError).message));
      return;
    }
    settle();
  };
  const onAborted = (): void => settle(new BadRequestException('request aborted'));
  request.on('data', onData);
  request.on('end', onEnd);
  request.on('error', onAborted);
  request.on('close', onAborted);
}

/** The body as text; a leading byte order mark is dropped, as body-parser's decoder dropped it. */
function utf8Text(bytes: Buffer): string {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', bom ? 3 : 0);
}

/**
 * JSON.parse, for an object or an array only (body-parser's `strict`); an empty body reads as an
 * empty object, as body-parser read it. Throws a SyntaxError with V8's message.
 */
export function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  if (text[0] !== '{' && text[0] !== '[') {
    const first = text.search(NOT_WHITESPACE);
    if (text[first] !== '{' && text[first] !== '[') throw new SyntaxError(notAStructureMessage(text, first));
  }
  return JSON.parse(text);
}

/**
 * What V8 says of a value that starts at `first` where only `{` or `[` may: its message for the text
 * with everything from `first` on masked by `#`, which no JSON value starts with, and each masked run
 * in the message given back the characters it hides. The same message body-parser gave.
 */
function notAStructureMessage(text: string, first: number): string {
  const masked = first < 0 ? '' : text.slice(0, first) + '#'.repeat(text.length - first);
  let message = '';
  try {
    JSON.parse(masked);
  } catch (error) {
    message = (error as SyntaxError).message;
  }
  return message.replace(/#+/g, (run) => text.slice(first, first + run.length));
}
