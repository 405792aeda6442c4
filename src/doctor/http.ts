import type { Progress } from './terminal.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A request that got no HTTP answer at all (refused, reset, DNS, timed out); the message says which. */
export class NoAnswerError extends Error {}

/** Bodies we read are metadata and JSON-RPC answers; anything larger is cut, never buffered whole. */
const MAX_BODY_BYTES = 1_048_576;

/**
 * The doctor's only way onto the network: one deadline per request, redirects never followed
 * (a redirect is itself something to report), and the progress line names what we wait for.
 */
export class DoctorHttp {
  constructor(
    private readonly timeoutMs: number,
    private readonly progress: Progress,
  ) {}

  /** The answer, or the reason there was none; other errors are bugs and are thrown. */
  async attempt(url: string, request: HttpRequest = {}): Promise<HttpAnswer | NoAnswerError> {
    try {
      return await this.request(url, request);
    } catch (error) {
      if (error instanceof NoAnswerError) return error;
      throw error;
    }
  }

  async request(url: string, request: HttpRequest = {}): Promise<HttpAnswer> {
    const method = request.method ?? 'GET';
    this.progress.update(`${method} ${url}`);
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await fetch(url, {
        method,
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal,
      });
      return { status: response.status, headers: response.headers, body: await readCapped(response) };
    } catch (error) {
      if (signal.aborted) throw new NoAnswerError(`${method} ${url} got no answer within ${this.timeoutMs / 1000} s`);
      throw new NoAnswerError(`${method} ${url} failed: ${networkReason(error)}`);
    }
  }
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** fetch() hides the socket error in `cause`; that is the part worth showing (ECONNREFUSED, ENOTFOUND, ...). */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error)
    return 'code' in cause && typeof cause.code === 'string' ? `${cause.code} (${cause.message})` : cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The body as a JSON object, or undefined when it is not one. */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(body));
  } catch {
    return undefined;
  }
}

export const asObject = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** Loopback hosts, where plain http is acceptable (local development). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]';
}

/** https anywhere, or http on loopback. */
export function isSecureEnough(url: string): boolean {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  return (
    parsed !== undefined &&
    (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)))
  );
}

export const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
