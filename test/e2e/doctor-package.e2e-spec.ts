/**
 * `npx nest-mcp-oauth doctor` works from the packed tarball: the bin is in it, runs with nothing
 * but commander beside it, and on the system's Node.js (which may be older than the project's).
 * Also the server's start-up warning, which only a real process shows.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ensureBuilt, ROOT } from '../support/compiled-dist.js';
import { OidcTestIssuer } from '../support/oidc-test-issuer.js';
import { ServerProcess } from '../support/server-process.js';
import { startTestApp } from '../support/test-app.js';

const run = promisify(execFile);

/** PATH as a user has it: without this project's node_modules/.bin, so `node` is the system's. */
const userPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((entry) => !entry.includes(join('node_modules', '.bin')))
  .join(delimiter);

beforeAll(ensureBuilt, 120_000);

describe('the packed package', () => {
  let directory: string;
  let bin: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'doctor-pack-'));
    // dist/ is built by ensureBuilt(); --ignore-scripts skips prepack's second build while other suites run dist/.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', directory], {
      cwd: ROOT,
    });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
    // What npm install does with it, minus the registry: unpack into node_modules, link the
    // dependency the bin needs, link the bin.
    const modules = join(directory, 'node_modules');
    mkdirSync(join(modules, '.bin'), { recursive: true });
    await run('tar', ['-xzf', join(directory, filename), '-C', directory]);
    await run('mv', [join(directory, 'package'), join(modules, 'nest-mcp-oauth')]);
    symlinkSync(join(ROOT, 'node_modules', 'commander'), join(modules, 'commander'));
    const target = join(modules, 'nest-mcp-oauth', 'dist', 'doctor', 'cli.js');
    chmodSync(target, 0o755);
    bin = join(modules, '.bin', 'nest-mcp-oauth');
    symlinkSync(target, bin);
  }, 60_000);
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('has a bin that prints the doctor’s help', async () => {
    const { stdout } = await run(bin, ['doctor', '--help'], { env: { PATH: userPath } });
    expect(stdout).toMatch(/^Usage: nest-mcp-oauth doctor \[options\] <url>/);
    expect(stdout).toContain('--sign-in');
    expect(stdout).toContain('--json');
  });

  it('checks a live server and exits 0 when nothing fails, on the system’s Node.js', async () => {
    const directoryForState = mkdtempSync(join(tmpdir(), 'doctor-pack-app-'));
    const server = await startTestApp(null, { EMBEDDED_AUTH_STATE_FILE: join(directoryForState, 'state.json') });
    try {
      const { stdout } = await run(bin, ['doctor', server.mcpUrl], { env: { PATH: userPath } });
      expect(stdout).toMatch(/^22 ok, 0 warnings, 0 failed$/m);
    } finally {
      await server.close();
      rmSync(directoryForState, { recursive: true, force: true });
    }
  });

  it('says what is wrong with the command line and exits 2', async () => {
    await expect(run(bin, ['doctor', 'not a url'], { env: { PATH: userPath } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("value 'not a url' is invalid for argument 'url'. must be an absolute URL"),
    });
  });
});

describe('the server process', () => {
  it('warns at start when the issuer does not support MCP_SCOPES, naming the fix', async () => {
    const issuer = await OidcTestIssuer.start({ scopes: ['api'], registration: true });
    const server = await ServerProcess.launch({ AUTH_PROVIDER: 'oidc', OIDC_ISSUER_URL: issuer.issuer });
    try {
      const warning = await server.waitForLog((line) => String(line.msg).includes('as.scopes'));
      expect(warning).toMatchObject({ level: 'warn', context: 'ConfigurationCheck' });
      expect(warning.msg).toMatch(
        /^Configuration check failed against http:\/\/127\.0\.0\.1:\d+\/realms\/acme: as\.scopes: profile email \(MCP_SCOPES\) not in scopes_supported .* Fix: .* or set MCP_SCOPES to scopes it supports\.$/,
      );
    } finally {
      await server.stop();
      await issuer.close();
    }
  });
});
