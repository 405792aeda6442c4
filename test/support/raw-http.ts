import { connect, type Socket } from 'node:net';

/**
 * A plain TCP connection to a loopback HTTP server, for what fetch hides: keep-alive, 100 Continue,
 * half-sent requests. Every wait is on the socket's own events, never on time.
 */
export class RawHttpConnection {
  /** Resolves when the server (or we) closed the connection. */
  readonly closed: Promise<void>;
  private received = '';
  private ended = false;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.received += chunk;
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.notify();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new RawHttpConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends `bytes`, then collects everything until the server closes the connection. */
  static async exchange(port: number, bytes: string): Promise<string> {
    const connection = await RawHttpConnection.open(port);
    connection.write(bytes);
    await connection.closed;
    return connection.received;
  }

  /** Everything received and not yet taken by {@link nextAnswer}. */
  get text(): string {
    return this.received;
  }

  write(bytes: string): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** What `read` finds in the bytes received, once it finds something; fails if the connection closes first. */
  until<T>(read: (received: string) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = read(this.received);
        if (found !== undefined) {
          this.listeners.delete(check);
          resolve(found);
        } else if (this.ended) {
          this.listeners.delete(check);
          reject(new Error(`the connection closed; received ${JSON.stringify(this.received)}`));
        }
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The next complete answer (status line, headers and a Content-Length body), taken off what was received. */
  async nextAnswer(): Promise<string> {
    const answer = await this.until((received) => {
      const headerEnd = received.indexOf('\r\n\r\n');
      if (headerEnd < 0) return undefined;
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(received.slice(0, headerEnd))?.[1] ?? 0);
      return received.length >= headerEnd + 4 + length ? received.slice(0, headerEnd + 4 + length) : undefined;
    });
    this.received = this.received.slice(answer.length);
    return answer;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
