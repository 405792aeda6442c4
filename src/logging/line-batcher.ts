import type { DestinationStream } from 'pino';

/** The part of pino's buffered destination (sonic-boom) that the batcher uses. */
export interface BufferedDestination {
  write(chunk: string): boolean;
  flushSync(): void;
}

/**
 * Gathers log lines into chunks of about `chunkChars` before they reach sonic-boom, which writes
 * each chunk as it gets it. Left to buffer line by line itself, sonic-boom measured the byte length
 * of everything it held on every line, which cost more than building the line.
 */
export class LineBatcher implements DestinationStream {
  private pending = '';

  constructor(
    private readonly stream: BufferedDestination,
    private chunkChars: number,
  ) {}

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= this.chunkChars) this.release();
  }

  /** Hands what is gathered to sonic-boom, which writes it without blocking. */
  release(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = '';
    this.stream.write(chunk);
  }

  /**
   * From now on each line goes straight to sonic-boom, whose own exit handler then writes out what
   * is left: for the lines of a shutdown, after the timer that released batches has stopped.
   */
  stopBatching(): void {
    this.chunkChars = 0;
    this.release();
  }

  /**
   * Writes everything out before the process ends. sonic-boom's own exit handler may run before or
   * after this one; what it holds is older than what is gathered here, so either order keeps the lines
   * in order.
   */
  releaseSync(): void {
    this.release();
    try {
      this.stream.flushSync();
    } catch {
      // Not open yet, or already closed: there is nothing this process can still write.
    }
  }
}
