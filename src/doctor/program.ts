import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { openInBrowser } from './browser.js';
import { runDoctor } from './doctor.js';
import { renderJson, renderText } from './render.js';
import { exitCodeOf } from './report.js';
import { createProgress, stylesFor, type OutputStream } from './terminal.js';

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** Opens the sign-in page; the CLI's default starts the platform's browser. */
  openBrowser?: (url: string) => void;
}

/** Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 the command line was wrong. */
const USAGE_ERROR = 2;

const seconds = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive number of seconds.');
  return parsed;
};

interface DoctorFlags {
  json?: boolean;
  signIn?: boolean;
  browser: boolean;
  color: boolean;
  timeout: number;
  signInTimeout: number;
}

function mcpUrl(value: string): string {
  if (!URL.canParse(value))
    throw new InvalidArgumentError('must be an absolute URL, e.g. https://mcp.example.com/mcp.');
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidArgumentError('must be an http or https URL.');
  if (url.hash !== '') throw new InvalidArgumentError('must not have a fragment.');
  // Exactly as typed: the doctor compares the advertised resource with what the user gives clients.
  return value;
}

/** The `nest-mcp-oauth` command line; returns the exit code instead of exiting, so tests run it in-process. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('nest-mcp-oauth')
    .description('Tools for nest-mcp-oauth deployments.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  program
    .command('doctor')
    .description(
      'Check a deployed MCP URL from outside, the way ChatGPT and Claude connect to it, and say how to fix what fails.',
    )
    .argument('<url>', 'the MCP endpoint exactly as clients are given it, e.g. https://mcp.example.com/mcp', mcpUrl)
    .option('--json', 'print the report as JSON')
    .option('--sign-in', 'also sign in as a public client (opens a browser) and call tools in both protocol eras')
    .option('--no-browser', 'with --sign-in: only print the sign-in URL, do not open a browser')
    .addOption(new Option('--timeout <seconds>', 'deadline for each request').argParser(seconds).default(10))
    .addOption(
      new Option('--sign-in-timeout <seconds>', 'how long to wait for the browser sign-in')
        .argParser(seconds)
        .default(300),
    )
    .option('--no-color', 'no colours (also off when NO_COLOR is set or the output is not a terminal)')
    .exitOverride()
    .action(async (url: string, flags: DoctorFlags) => {
      const present = (authorizationUrl: string): void => {
        io.stderr.write(`Sign in at this URL to continue:\n${authorizationUrl}\n`);
        if (flags.browser) (io.openBrowser ?? openInBrowser)(authorizationUrl);
      };
      const signIn = flags.signIn ? { timeoutMs: flags.signInTimeout * 1000, present } : undefined;
      const report = await runDoctor({ url, timeoutMs: flags.timeout * 1000, signIn }, createProgress(io.stderr));
      io.stdout.write(flags.json ? renderJson(report) : renderText(report, stylesFor(io.stdout, io.env, flags.color)));
      exitCode = exitCodeOf(report);
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
      ? 0
      : USAGE_ERROR;
  }
  return exitCode;
}
