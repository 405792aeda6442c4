import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { RawEnvironment } from '../../src/config/environment.js';
import { ROOT } from './compiled-dist.js';
import { freePort } from './test-app.js';

export type LogLine = Record<string, unknown>;

type ServerChild = ChildProcessByStdio<null, Readable, Readable>;

/**
 * `node dist/main.js` with only PATH and `env`, in a directory of its own so a developer's .env never
 * reaches it. `removeWorkDir` once the process has exited.
 */
export function spawnServer(env: RawEnvironment): { child: ServerChild; removeWorkDir: () => void } {
  const workDir = mkdtempSync(join(tmpdir(), 'nest-mcp-oauth-process-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
    cwd: workDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, ...env },
  });
  return { child, removeWorkDir: () => rmSync(workDir, { recursive: true, force: true }) };
}

/** The server as Kubernetes runs it, on a free loopback port, its stdout collected line by line. */
export class ServerProcess {
  readonly stdoutLines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lineWaiters: { predicate: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  private constructor(
    private readonly child: ServerChild,
    readonly port: number,
    private readonly removeWorkDir: () => void,
  ) {
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.receive(line);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts the process with JSON logs on a free port, without waiting for it. */
  static async launch(env: RawEnvironment): Promise<ServerProcess> {
    const port = await freePort();
    const { child, removeWorkDir } = spawnServer({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_BASE_URL: `http://localhost:${port}`,
      LOG_FORMAT: 'json',
      ...env,
    });
    return new ServerProcess(child, port, removeWorkDir);
  }

  /** Starts the process and waits until it listens and /readyz answers 200. */
  static async start(env: RawEnvironment): Promise<ServerProcess> {
    const server = await ServerProcess.launch(env);
    try {
      await server.waitUntilReady();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get output(): string {
    return `${this.stdoutLines.join('\n')}\n${this.stderr}`;
  }

  /** Every stdout line, parsed: a line that is not JSON fails the test that reads them. */
  logs(): LogLine[] {
    return this.stdoutLines.map((line) => JSON.parse(line) as LogLine);
  }

  /** The first JSON log line that matches, waiting for it; fails if the process exits without writing one. */
  async waitForLog(predicate: (line: LogLine) => boolean): Promise<LogLine> {
    const parsed = (line: string): LogLine | undefined => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return undefined;
      }
    };
    return parsed(
      await this.waitForLine((line) => {
        const log = parsed(line);
        return log !== undefined && predicate(log);
      }),
    ) as LogLine;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    this.removeWorkDir();
  }

  /** The first stdout line that matches, waiting for it; fails if the process exits without writing one. */
  private waitForLine(predicate: (line: string) => boolean): Promise<string> {
    const seen = this.stdoutLines.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return Promise.race([
      new Promise<string>((resolve) => this.lineWaiters.push({ predicate, resolve })),
      this.exited.then((exit) =>
        Promise.reject(
          new Error(`the server exited (${JSON.stringify(exit)}) without writing the line awaited: ${this.stderr}`),
        ),
      ),
    ]);
  }

  private receive(line: string): void {
    if (line === '') return;
    this.stdoutLines.push(line);
    for (const waiter of [...this.lineWaiters])
      if (waiter.predicate(line)) {
        this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
  }

  /** Its start-up line comes once it listens, in either log format; then readiness must hold. */
  private async waitUntilReady(): Promise<void> {
    await this.waitForLine((line) => line.includes('MCP endpoint '));
    const readiness = await fetch(`http://127.0.0.1:${this.port}/readyz`);
    if (readiness.status !== 200)
      throw new Error(`the server listens but is not ready (${readiness.status}): ${await readiness.text()}`);
  }
}
