import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { MAX_BATCH_SIZE } from '@modelcontextprotocol/sdk/server/requestBody.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import {
  isInitializeRequest,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestInfo,
} from '@modelcontextprotocol/sdk/types.js';
import { InProcessTransport, InProcessTransportClosedError } from './in-process-transport.js';
import { isPlainJsonRpcRequest } from './plain-json-rpc-request.js';

/** An HTTP refusal, in the SDK transport's words and shape. */
interface Refusal {
  status: number;
  code: number;
  message: string;
}

const refusal = (status: number, code: number, message: string): Refusal => ({ status, code, message });

const NOT_ACCEPTABLE = refusal(
  406,
  -32000,
  'Not Acceptable: Client must accept both application/json and text/event-stream',
);
const UNSUPPORTED_MEDIA_TYPE = refusal(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
const INVALID_JSON = refusal(400, -32700, 'Parse error: Invalid JSON');
const BATCH_TOO_LARGE = refusal(400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`);
const INVALID_MESSAGE = refusal(400, -32700, 'Parse error: Invalid JSON-RPC message');
const SECOND_INITIALIZE = refusal(400, -32600, 'Invalid Request: Only one initialization request is allowed');
const SHUTTING_DOWN = refusal(
  503,
  -32000,
  'Service Unavailable: the server is shutting down; retry on another connection.',
);

/**
 * Serves stateless 2025 POSTs on ONE long-lived SDK 1.x `Server`, over an {@link InProcessTransport}.
 * It answers each POST as SDK 1.x's `StreamableHTTPServerTransport` does in stateless JSON mode
 * (`sessionIdGenerator: undefined, enableJsonResponse: true`): the same checks in the same order,
 * the same refusals, the same `extra` (authInfo, requestInfo) for handlers, a 202 for notifications
 * alone, one answer or an array of them. Where that transport would hang (every request of a batch
 * cancelled within it, or the server closed mid-request) this one answers: 202, or 503.
 */
export class SharedLegacyServer {
  private readonly transport = new InProcessTransport();

  private constructor(private readonly server: Server) {}

  /** Connects `server` to a new in-process transport; from then on it serves every request given here. */
  static async connect(server: Server): Promise<SharedLegacyServer> {
    const shared = new SharedLegacyServer(server);
    await server.connect(shared.transport);
    return shared;
  }

  /** Closes the server: handlers still running are aborted, and their requests answered with 503. */
  async close(): Promise<void> {
    await this.server.close();
  }

  /** One POST, its body already parsed (`undefined` when there was none), its caller already verified. */
  async handlePost(
    request: IncomingMessage,
    response: ServerResponse,
    parsedBody: unknown,
    authInfo: AuthInfo | undefined,
  ): Promise<void> {
    const checked = this.check(request, parsedBody);
    if ('messages' in checked) {
      await this.exchange(response, checked.messages, { authInfo, requestInfo: new LazyRequestInfo(request) });
      return;
    }
    // As the SDK's transport reports its refusals.
    this.transport.onerror?.(new Error(checked.message));
    writeRefusal(response, checked);
  }

  /** The SDK transport's checks, in its order; the valid messages when all pass. */
  private check(request: IncomingMessage, body: unknown): Refusal | { messages: JSONRPCMessage[] } {
    const accept = request.headers.accept;
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return NOT_ACCEPTABLE;
    if (!isJsonContentType(request.headers['content-type'])) return UNSUPPORTED_MEDIA_TYPE;
    if (body === undefined) return INVALID_JSON;
    if (Array.isArray(body) && body.length > MAX_BATCH_SIZE) return BATCH_TOO_LARGE;
    const messages: JSONRPCMessage[] = [];
    for (const raw of Array.isArray(body) ? body : [body]) {
      // The commonest message is proved valid, unchanged, without a zod parse.
      if (isPlainJsonRpcRequest(raw)) {
        messages.push(raw);
        continue;
      }
      const parsed = JSONRPCMessageSchema.safeParse(raw);
      if (!parsed.success) return INVALID_MESSAGE;
      messages.push(parsed.data);
    }
    // The protocol version is negotiated by initialize, and required to be a known one on everything else.
    if (
      messages.some((message) => 'method' in message && message.method === 'initialize' && isInitializeRequest(message))
    )
      return messages.length > 1 ? SECOND_INITIALIZE : { messages };
    const version = request.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version))
      return refusal(
        400,
        -32000,
        `Bad Request: Unsupported protocol version: ${version} ` +
          `(supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
    return { messages };
  }

  private async exchange(response: ServerResponse, messages: JSONRPCMessage[], extra: MessageExtraInfo): Promise<void> {
    let answers;
    try {
      const delivery = this.transport.deliver(messages, extra);
      if (delivery.requests === 0) {
        response.writeHead(202).end();
        return;
      }
      // A client that goes away cancels what it asked for; the tools' signals fire. 'close' comes once, so a plain
      // listener, removed once answered, does what once() would without its wrapper.
      const onClose = (): void => delivery.cancel('The client closed the connection.');
      response.on('close', onClose);
      try {
        answers = await delivery.answers;
      } finally {
        response.off('close', onClose);
      }
    } catch (error) {
      if (!(error instanceof InProcessTransportClosedError)) throw error;
      writeRefusal(response, SHUTTING_DOWN);
      return;
    }
    if (response.destroyed) return;
    if (answers.length === 0) response.writeHead(202).end();
    else writeJson(response, 200, JSON.stringify(answers.length === 1 ? answers[0] : answers));
  }
}

/**
 * What handlers see as `extra.requestInfo`: the request's headers, and its URL as the SDK's transport
 * builds it. The URL (and the scheme it needs) is worked out only if a handler asks for it, since ours
 * never do; a class, so that the getter is its prototype's rather than defined anew on each request.
 */
class LazyRequestInfo implements RequestInfo {
  readonly headers: IncomingMessage['headers'];
  /** Private to the class, so handlers that list requestInfo's members see only the SDK's. */
  readonly #request: IncomingMessage;

  constructor(request: IncomingMessage) {
    this.headers = request.headers;
    this.#request = request;
  }

  get url(): URL {
    const request = this.#request;
    const scheme = request.socket instanceof TLSSocket ? 'https' : 'http';
    return new URL(`${scheme}://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`);
  }
}

function writeRefusal(response: ServerResponse, { status, code, message }: Refusal): void {
  writeJson(response, status, JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function writeJson(response: ServerResponse, status: number, body: string): void {
  response
    .writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
    .end(body);
}
