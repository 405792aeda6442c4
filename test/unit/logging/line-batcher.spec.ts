import { describe, expect, it } from '@jest/globals';
import { LineBatcher, type BufferedDestination } from '../../../src/logging/line-batcher.js';

class RecordingStream implements BufferedDestination {
  readonly chunks: string[] = [];
  syncFlushes = 0;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  flushSync(): void {
    this.syncFlushes++;
  }
}

describe('LineBatcher', () => {
  it('hands lines on in chunks once they reach the chunk size, in order', () => {
    const stream = new RecordingStream();
    const batcher = new LineBatcher(stream, 10);
    batcher.write('aaaa\n');
    expect(stream.chunks).toEqual([]);
    batcher.write('bbbb\n');
    expect(stream.chunks).toEqual(['aaaa\nbbbb\n']);
    batcher.write('cc\n');
    batcher.release();
    batcher.release();
    expect(stream.chunks).toEqual(['aaaa\nbbbb\n', 'cc\n']);
  });

  it('writes out what it holds, synchronously, when the process exits', () => {
    const stream = new RecordingStream();
    const batcher = new LineBatcher(stream, 100);
    batcher.write('last\n');
    batcher.releaseSync();
    expect(stream.chunks).toEqual(['last\n']);
    expect(stream.syncFlushes).toBe(1);
  });

  it('passes each line straight on once batching stops', () => {
    const stream = new RecordingStream();
    const batcher = new LineBatcher(stream, 100);
    batcher.write('held\n');
    batcher.stopBatching();
    batcher.write('after\n');
    expect(stream.chunks).toEqual(['held\n', 'after\n']);
  });
});
