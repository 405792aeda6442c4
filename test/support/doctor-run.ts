import type { DoctorReport } from '../../src/doctor/report.js';
import { runCli } from '../../src/doctor/program.js';
import { browseToRedirect, signInAndAllow } from './oauth-browser.js';

export interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
}

const SIGN_IN_PROMPT = /Sign in at this URL to continue:\n(\S+)\n/;

/**
 * Runs `nest-mcp-oauth <args>` in-process with collecting streams (terminals if asked). With
 * `signInAs`, it plays the user at the browser: it takes the sign-in URL the command prints (run
 * it with --no-browser), signs in on the authorization server's pages and follows the redirect
 * to the command's loopback listener, as a browser would.
 */
export async function runDoctorCli(
  args: string[],
  options: { signInAs?: string; env?: Record<string, string>; terminal?: boolean } = {},
): Promise<DoctorRun> {
  let stdout = '';
  let stderr = '';
  let browsing: Promise<void> | undefined;
  let browserError: Error | undefined;
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.terminal },
    stderr: {
      isTTY: options.terminal,
      write: (text: string) => {
        stderr += text;
        const prompt = SIGN_IN_PROMPT.exec(stderr);
        if (prompt && options.signInAs && !browsing)
          browsing = actAsBrowser(new URL(prompt[1]), options.signInAs).catch((error: Error) => {
            browserError = error;
          });
      },
    },
    env: options.env ?? {},
  });
  await browsing;
  if (browserError !== undefined) throw browserError;
  return { code, stdout, stderr };
}

async function actAsBrowser(authorizationUrl: URL, userName: string): Promise<void> {
  const redirectUri = authorizationUrl.searchParams.get('redirect_uri') ?? '';
  const callback = await browseToRedirect(authorizationUrl, redirectUri, signInAndAllow(userName));
  const landing = await fetch(callback);
  if (landing.status !== 200) throw new Error(`the doctor's redirect listener answered ${landing.status}`);
}

/** The doctor's `--json` report for `url`. */
export async function doctorReport(
  url: string,
  extraArgs: string[] = [],
  options: { signInAs?: string } = {},
): Promise<DoctorReport & { exitCode: number; stderr: string }> {
  const run = await runDoctorCli(['doctor', url, '--json', ...extraArgs], options);
  return { ...(JSON.parse(run.stdout) as DoctorReport), exitCode: run.code, stderr: run.stderr };
}

/** The checks that are not ok, as `id: status` lines, for messages that show at once what went wrong. */
export const notOk = (report: DoctorReport): string[] =>
  report.checks.filter((check) => check.status !== 'ok').map((check) => `${check.id}: ${check.status} ${check.seen}`);
