import { checkAuthorizationServer } from './checks/authorization-server.js';
import {
  checkExposedChallenge,
  checkModernProbe,
  checkPreflight,
  checkTransport,
  checkUnauthenticatedRequest,
} from './checks/endpoint.js';
import { checkLegacyEra, checkModernEra } from './checks/mcp-eras.js';
import { checkProtectedResourceMetadata } from './checks/protected-resource-metadata.js';
import { checkSignIn, type SignInSettings } from './checks/sign-in.js';
import { DoctorHttp, stringList } from './http.js';
import { fail, skip, summarize, type CheckResult, type DoctorReport } from './report.js';
import type { Progress } from './terminal.js';

export interface DoctorOptions {
  url: string;
  /** Deadline for each request. */
  timeoutMs: number;
  /** Run the sign-in and the authenticated MCP calls too. */
  signIn?: SignInSettings;
}

/**
 * Checks a deployed MCP URL from outside, in the order a client meets things: the endpoint and
 * its challenge, the protected-resource metadata, the authorization server, and optionally a
 * sign-in with MCP calls in both protocol eras. Every check reports; none throws.
 */
export async function runDoctor(options: DoctorOptions, progress: Progress): Promise<DoctorReport> {
  const { url } = options;
  const http = new DoctorHttp(options.timeoutMs, progress);
  const transport = checkTransport(url);
  const endpoint = await checkUnauthenticatedRequest(http, url);
  const probes = [
    await checkModernProbe(http, url),
    await checkPreflight(http, url),
    await checkExposedChallenge(http, url),
  ];
  const challengeScopes = endpoint.challengeScopes ?? [];
  const resource = await checkProtectedResourceMetadata(
    http,
    url,
    endpoint.challenge?.params.resource_metadata,
    challengeScopes,
  );
  // Clients ask for the challenge's scopes, or else the metadata's scopes_supported (MCP scope selection).
  const [scopes, scopesFrom] =
    challengeScopes.length > 0
      ? [challengeScopes, 'the challenge scope']
      : [stringList(resource.document?.scopes_supported) ?? [], 'scopes_supported'];
  const server = await checkAuthorizationServer(http, resource.document, scopes, scopesFrom);
  const checks = [transport, ...endpoint.results, ...probes, ...resource.results, ...server.results];
  if (options.signIn) checks.push(...(await signInChecks(http, url, checks, server, scopes, options.signIn)));
  progress.stop();
  return summarize(url, checks);
}

async function signInChecks(
  http: DoctorHttp,
  url: string,
  earlier: CheckResult[],
  server: Awaited<ReturnType<typeof checkAuthorizationServer>>,
  scopes: string[],
  settings: SignInSettings,
): Promise<CheckResult[]> {
  const insecure = earlier.find(
    (check) => (check.id === 'endpoint.https' || check.id === 'as.https') && check.status === 'fail',
  );
  if (insecure) return [fail('sign-in', 'not attempted: credentials would travel over plain http', insecure.fix ?? '')];
  if (!server.document || !server.issuer) return [skip('sign-in', 'not attempted: no authorization-server metadata')];
  const target = { resource: url, issuer: server.issuer, document: server.document, scopes };
  const signIn = await checkSignIn(http, target, settings);
  if (!signIn.accessToken) return signIn.results;
  return [
    ...signIn.results,
    ...(await checkLegacyEra(http, url, signIn.accessToken)),
    ...(await checkModernEra(http, url, signIn.accessToken)),
  ];
}
