import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  createMcpHandler,
  UnsupportedProtocolVersionError,
  type InboundClassificationOutcome,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import type { Response } from 'express';
import type { CallerRequest } from '../auth/caller.js';
import { serverConfig } from '../config/namespaces.js';
import { McpServerFactory } from './mcp-server-factory.js';
import { isUnservedModernVersion, SERVED_PROTOCOL_VERSIONS } from './protocol-eras.js';

/** The request headers the SDK's modern handler reads; nothing else is copied into its Request. */
const FORWARDED_HEADERS = ['content-type', 'accept', 'mcp-protocol-version', 'mcp-method', 'mcp-name'] as const;

/**
 * Serves 2026-07-28 clients through SDK 2.x's modern handler, built once at start. It gets the body
 * Express already parsed and the identity the bearer guard already verified, so nothing is read,
 * parsed or checked twice; the handler validates the modern rules (Mcp-Method, Mcp-Name, the
 * version header against `_meta`), answers `server/discover`, adds the cache fields, and ignores
 * Mcp-Session-Id. It never sees 2025 traffic: the controller routes that to SDK 1.x.
 */
@Injectable()
export class ModernHttpEndpoint implements OnModuleDestroy {
  private readonly logger = new Logger(ModernHttpEndpoint.name);
  private readonly handler: McpHttpHandler;
  /** The SDK needs an absolute URL for its Request; it routes nothing on it. */
  private readonly url: string;

  constructor(@Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>, servers: McpServerFactory) {
    this.url = server.resourceUrl;
    this.handler = createMcpHandler(() => servers.modern(), {
      legacy: 'reject',
      // Requests it refuses are client mistakes; the access log already records their status.
      onerror: (error) => this.logger.debug(`Modern handler: ${error.message}`),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.handler.close();
  }

  async post(
    request: CallerRequest,
    response: Response,
    body: unknown,
    outcome: InboundClassificationOutcome | undefined,
  ): Promise<void> {
    // Unasked (`undefined`) only when the header names the version we serve, which the envelope must match.
    if (outcome?.kind === 'modern' && isUnservedModernVersion(outcome.classification.revision)) {
      this.refuseVersion(
        response,
        outcome.classification.revision,
        'id' in outcome.message ? outcome.message.id : null,
      );
      return;
    }
    // Cancels the exchange, and the tool's signal, when the client goes away before its answer. Once the
    // answer is sent there is nothing left to cancel, and aborting would only build an AbortError for nobody.
    // 'close' comes once, so a plain listener, removed once answered, does what once() would without its wrapper.
    const abort = new AbortController();
    const cancel = (): void => abort.abort();
    response.on('close', cancel);
    try {
      const answer = await this.handler.fetch(new SignalledRequest(this.url, forwardedHeaders(request), abort.signal), {
        parsedBody: body,
        authInfo: request.auth,
      });
      await send(answer, response);
    } finally {
      response.off('close', cancel);
    }
  }

  /**
   * A modern version newer than ours. The SDK's own answer lists only the modern versions it
   * implements; this one lists every version we serve, so a negotiating client can also fall back
   * to a 2025 one.
   */
  private refuseVersion(response: Response, requested: string, id: string | number | null): void {
    const error = new UnsupportedProtocolVersionError({ supported: [...SERVED_PROTOCOL_VERSIONS], requested });
    response
      .status(400)
      .json({ jsonrpc: '2.0', id, error: { code: error.code, message: error.message, data: error.data } });
  }
}

/**
 * A bodiless POST whose `signal` is the given one itself, which is all the SDK reads of it for
 * cancellation. Given as the `signal` option instead, it would be followed by a signal of the
 * request's own, and Node's fetch implementation ties the two together with listeners and a
 * finalization registry: about 10 µs per request, a thirtieth of a modern exchange.
 */
class SignalledRequest extends Request {
  override readonly signal: AbortSignal;

  constructor(url: string, headers: Record<string, string>, signal: AbortSignal) {
    super(url, { method: 'POST', headers });
    this.signal = signal;
  }
}

function forwardedHeaders(request: CallerRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** Copies the SDK's answer onto Express's response: a JSON body at once, an event stream as it comes. */
async function send(answer: globalThis.Response, response: Response): Promise<void> {
  response.status(answer.status);
  answer.headers.forEach((value, name) => response.setHeader(name, value));
  if (!answer.body) {
    response.end();
    return;
  }
  if (!answer.headers.get('content-type')?.startsWith('text/event-stream')) {
    // As text (the SDK writes JSON, which is UTF-8): Node then sends the headers and the body in one write.
    response.end(await answer.text());
    return;
  }
  for await (const chunk of answer.body) response.write(chunk);
  response.end();
}
