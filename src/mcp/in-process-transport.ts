import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type {
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResponse,
  MessageExtraInfo,
  RequestId,
} from '@modelcontextprotocol/sdk/types.js';

const CANCELLED = 'notifications/cancelled';
const PROGRESS = 'notifications/progress';

/*
 * The kind of a message this transport is handed, told by its keys. Every one is already a valid
 * JSON-RPC message (the type says so: the endpoint proved each body message, the server wrote its
 * own), and the SDK's schemas for the kinds are strict about exactly these keys, so the keys alone
 * decide; the SDK's guards would run a zod parse of each message to learn the same.
 */
const isRequest = (message: JSONRPCMessage): message is JSONRPCRequest => 'method' in message && 'id' in message;
const isNotification = (message: JSONRPCMessage): message is JSONRPCNotification =>
  'method' in message && !('id' in message);
const isResponse = (message: JSONRPCMessage): message is JSONRPCResponse => 'result' in message || 'error' in message;

/** What one delivery gets back. */
export interface Delivery {
  /** How many requests it holds; notifications alone get no answers. */
  readonly requests: number;
  /**
   * The answers to the delivered requests, in their order and under the ids the client gave them.
   * Settles once every request is answered or cancelled; rejects with {@link InProcessTransportClosedError}
   * if the transport closes first.
   */
  readonly answers: Promise<JSONRPCResponse[]>;
  /** Cancels the requests still unanswered, as a client's `notifications/cancelled` would: their signals fire. */
  cancel(reason: string): void;
}

/** The transport closed while requests were still waiting for their answers. */
export class InProcessTransportClosedError extends Error {
  constructor() {
    super('The MCP server closed before answering.');
    this.name = 'InProcessTransportClosedError';
  }
}

/** One delivery's requests, waiting for their answers. */
class PendingAnswers implements Delivery {
  readonly answers: Promise<JSONRPCResponse[]>;
  private readonly slots: (JSONRPCResponse | undefined)[] = [];
  /** Internal ids of the requests still waiting, with their slot. */
  private readonly waiting = new Map<number, number>();
  private settle!: (answers: JSONRPCResponse[]) => void;
  fail!: (error: Error) => void;

  constructor(
    private readonly release: (internalId: number) => void,
    private readonly cancelRequest: (internalId: number, reason: string) => void,
  ) {
    this.answers = new Promise((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
  }

  get requests(): number {
    return this.slots.length;
  }

  expect(internalId: number): void {
    this.waiting.set(internalId, this.slots.length);
    this.slots.push(undefined);
  }

  answer(internalId: number, answer: JSONRPCResponse): void {
    const slot = this.waiting.get(internalId);
    if (slot === undefined) return;
    this.slots[slot] = answer;
    this.forget(internalId);
  }

  /** A request that will not be answered: cancelled, or its client gone. */
  forget(internalId: number): void {
    this.waiting.delete(internalId);
    this.release(internalId);
    this.settleWhenComplete();
  }

  settleWhenComplete(): void {
    if (this.waiting.size === 0) this.settle(this.slots.filter((answer) => answer !== undefined));
  }

  cancel(reason: string): void {
    for (const internalId of [...this.waiting.keys()]) {
      this.cancelRequest(internalId, reason);
      this.forget(internalId);
    }
  }
}

/** A request in flight: the delivery waiting for it and the id its client gave it. */
interface InFlight {
  delivery: PendingAnswers;
  clientId: RequestId;
}

/**
 * An in-process implementation of SDK 1.x's {@link Transport}, so that ONE long-lived `Server`
 * serves every stateless HTTP request: connecting and closing a server and a Streamable HTTP
 * transport per request costs far more than the request itself.
 *
 * Each delivery is one HTTP request's messages. Requests get an internal id unique across all
 * deliveries, so that concurrent clients using the same id never meet inside the server, and their
 * answers go back under the client's own id. What would otherwise leak between clients stays out:
 * - a client's `notifications/cancelled` reaches the server only for a request of the same delivery
 *   (a per-request server could cancel nothing else), renamed to that request's internal id;
 * - a client's `notifications/progress` and responses are dropped: they would name the server's own
 *   outgoing requests, and in stateless JSON mode none of those ever reaches a client to be answered.
 * Notifications and requests the server sends are dropped, as the SDK's transport does in JSON mode:
 * there is no stream to carry them.
 */
export class InProcessTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;

  private readonly inFlight = new Map<number, InFlight>();
  /** From 1: SDK 1.x ignores a cancellation whose request id is falsy, so a request 0 could never be cancelled. */
  private nextId = 1;
  private started = false;
  private closed = false;

  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error('Transport already started'));
    this.started = true;
    return Promise.resolve();
  }

  /**
   * Hands one HTTP request's messages to the server, in order, each with `extra` (its identity and
   * request info) exactly as the SDK's HTTP transport passes them.
   */
  deliver(messages: readonly JSONRPCMessage[], extra: MessageExtraInfo): Delivery {
    if (this.closed) throw new InProcessTransportClosedError();
    const delivery = new PendingAnswers(this.release, this.cancelRequest);
    // Numbered before anything is delivered: a cancellation may come before its request in a batch.
    const internalIds = messages.map((message) => (isRequest(message) ? this.expect(message.id, delivery) : undefined));
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index];
      const internalId = internalIds[index];
      if (internalId !== undefined) this.onmessage?.({ ...message, id: internalId } as JSONRPCRequest, extra);
      else if (isNotification(message)) {
        const notification = this.admitted(message, messages, internalIds, delivery);
        if (notification) this.onmessage?.(notification, extra);
      }
    }
    delivery.settleWhenComplete();
    return delivery;
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (isResponse(message)) this.answer(message);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const deliveries = new Set([...this.inFlight.values()].map((flight) => flight.delivery));
    this.inFlight.clear();
    for (const delivery of deliveries) delivery.fail(new InProcessTransportClosedError());
    this.onclose?.();
    return Promise.resolve();
  }

  private answer(response: JSONRPCResponse): void {
    const internalId = response.id;
    if (typeof internalId !== 'number') return;
    // Nobody waits for it any more when its client went away, or cancelled it.
    const flight = this.inFlight.get(internalId);
    flight?.delivery.answer(internalId, { ...response, id: flight.clientId });
  }

  private expect(clientId: RequestId, delivery: PendingAnswers): number {
    const internalId = this.nextId++;
    this.inFlight.set(internalId, { delivery, clientId });
    delivery.expect(internalId);
    return internalId;
  }

  /** A request nobody waits for any more. One function for every delivery, rather than a closure each. */
  private readonly release = (internalId: number): void => {
    this.inFlight.delete(internalId);
  };

  /** Cancels through the protocol, as a client would, so that the handler's signal fires. */
  private readonly cancelRequest = (internalId: number, reason: string): void => {
    if (!this.inFlight.has(internalId) || this.closed) return;
    this.onmessage?.({ jsonrpc: '2.0', method: CANCELLED, params: { requestId: internalId, reason } });
  };

  /** A client notification as the shared server may see it, or `undefined` when it must not reach it. */
  private admitted(
    notification: JSONRPCNotification,
    messages: readonly JSONRPCMessage[],
    internalIds: readonly (number | undefined)[],
    delivery: PendingAnswers,
  ): JSONRPCNotification | undefined {
    if (notification.method === PROGRESS) return undefined;
    if (notification.method !== CANCELLED) return notification;
    const requestId = notification.params?.requestId;
    const internalId =
      typeof requestId === 'string' || typeof requestId === 'number'
        ? internalIdOf(requestId, messages, internalIds)
        : undefined;
    if (internalId === undefined) return undefined;
    // A cancelled request gets no answer (the protocol sends none), so the delivery stops waiting for it.
    delivery.forget(internalId);
    return { ...notification, params: { ...notification.params, requestId: internalId } };
  }
}

/**
 * The internal id of the delivery's request the client numbered `clientId`; the last such request
 * when a batch reuses an id. Looked up only for a cancellation, rare enough that no index is kept.
 */
function internalIdOf(
  clientId: RequestId,
  messages: readonly JSONRPCMessage[],
  internalIds: readonly (number | undefined)[],
): number | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (internalIds[index] !== undefined && isRequest(message) && message.id === clientId) return internalIds[index];
  }
  return undefined;
}
