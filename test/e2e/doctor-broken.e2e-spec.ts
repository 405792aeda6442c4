/**
 * Deliberately broken deployments, each with one of the mismatches that make ChatGPT and Claude
 * "fail to connect": the doctor must name the check that fails and the fix. Some are the product
 * with a bad configuration, some a correct product behind a misconfigured proxy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { CheckResult, DoctorReport } from '../../src/doctor/report.js';
import { ClerkStandIn } from '../support/clerk-stand-in.js';
import { doctorReport } from '../support/doctor-run.js';
import { FaultyProxy, type ProxyFault } from '../support/faulty-proxy.js';
import { OidcTestIssuer } from '../support/oidc-test-issuer.js';
import { freePort, startTestApp } from '../support/test-app.js';

const failed = (report: DoctorReport): string[] =>
  report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
const check = (report: DoctorReport, id: string): CheckResult | undefined =>
  report.checks.find((result) => result.id === id);

let directory: string;
let stateFiles = 0;
const stateFile = (): string => join(directory, `state-${++stateFiles}.json`);
const running: { close(): Promise<void> }[] = [];
const started = <T extends { close(): Promise<void> }>(thing: T): T => {
  running.push(thing);
  return thing;
};

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'doctor-broken-'));
});
afterEach(async () => {
  for (const thing of running.splice(0).reverse()) await thing.close();
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The embedded product behind a proxy with one fault, advertising the proxy's URL as clients see it. */
async function behindProxy(fault: ProxyFault): Promise<string> {
  const proxyPort = await freePort();
  const app = started(
    await startTestApp(null, {
      PUBLIC_BASE_URL: `http://localhost:${proxyPort}`,
      EMBEDDED_AUTH_STATE_FILE: stateFile(),
    }),
  );
  const proxy = started(await FaultyProxy.start(proxyPort, app.baseUrl, fault));
  return `${proxy.url}/mcp`;
}

describe('doctor finds what breaks a connector', () => {
  it('a wrong PUBLIC_BASE_URL: prm.resource, with the origin to set', async () => {
    const port = await freePort();
    started(
      await startTestApp(
        null,
        { PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, EMBEDDED_AUTH_STATE_FILE: stateFile() },
        { port },
      ),
    );
    const url = `http://localhost:${port}/mcp`;
    const report = await doctorReport(url);
    expect(check(report, 'prm.resource')).toMatchObject({
      status: 'fail',
      seen: expect.stringContaining(`says resource "http://127.0.0.1:${port}/mcp"`),
      fix: expect.stringMatching(
        new RegExp(`^Set PUBLIC_BASE_URL to http://localhost:${port}, the origin clients use`),
      ),
    });
    expect(failed(report)).toEqual(['prm.resource']);
    expect(report.exitCode).toBe(1);
  });

  it('a missing root metadata document: prm.root, with the URL to serve', async () => {
    const url = await behindProxy('drop-root-metadata');
    const report = await doctorReport(url);
    expect(failed(report)).toEqual(['prm.root']);
    const root = `${new URL(url).origin}/.well-known/oauth-protected-resource`;
    expect(check(report, 'prm.root')).toMatchObject({
      seen: `GET ${root} answered 404 text/html`,
      fix: expect.stringContaining(`Serve the protected-resource metadata at ${root}`),
    });
    expect(report.exitCode).toBe(1);
  });

  it('a CORS preflight answered 401: cors.preflight, with where to let it through', async () => {
    const report = await doctorReport(await behindProxy('preflight-401'));
    expect(failed(report)).toEqual(['cors.preflight']);
    expect(check(report, 'cors.preflight')).toMatchObject({
      seen: 'OPTIONS from https://chatgpt.com answered 401',
      fix: expect.stringMatching(/^Answer CORS preflights \(OPTIONS\) before any authentication/),
    });
  });

  it('a 400 to the 2026-07-28 probe: endpoint.modern-probe, naming the error and the headers', async () => {
    const report = await doctorReport(await behindProxy('probe-400'));
    expect(failed(report)).toEqual(['endpoint.modern-probe']);
    expect(check(report, 'endpoint.modern-probe')).toMatchObject({
      seen: '2026-07-28 server/discover without a token answered 400 (-32000 Bad Request: Unsupported protocol version)',
      fix: expect.stringContaining('MCP-Protocol-Version'),
    });
  });

  it('a server without 2026-07-28 behind the 400: signed in, that era is a warning and 2025-11-25 still works', async () => {
    const report = await doctorReport(
      await behindProxy('probe-400'),
      ['--sign-in', '--no-browser', '--sign-in-timeout', '20'],
      { signInAs: 'alice' },
    );
    expect(failed(report)).toEqual(['endpoint.modern-probe']);
    expect(check(report, 'sign-in.2025-11-25.tools-call')?.status).toBe('ok');
    expect(check(report, 'sign-in.2026-07-28.tools-list')).toMatchObject({
      status: 'warn',
      seen: '2026-07-28 is not supported: server/discover: HTTP 400 (-32000 Bad Request: Unsupported protocol version)',
      fix: expect.stringContaining('support MCP 2026-07-28'),
    });
    expect(check(report, 'sign-in.2026-07-28.tools-call')?.status).toBe('skip');
  });

  it('an endpoint that never answers: each request gives up at --timeout and says so', async () => {
    const url = await behindProxy('hang-mcp');
    const begun = performance.now();
    const report = await doctorReport(url, ['--timeout', '0.3']);
    expect(check(report, 'endpoint.unauthenticated')).toMatchObject({
      status: 'fail',
      seen: `POST ${url} got no answer within 0.3 s`,
    });
    expect(failed(report)).toEqual([
      'endpoint.unauthenticated',
      'endpoint.modern-probe',
      'cors.expose-www-authenticate',
    ]);
    // Three requests time out; everything else answers at once.
    expect(performance.now() - begun).toBeLessThan(5000);
  });

  it('a proxy that rewrites the host: endpoint.unauthenticated, with the proxy header', async () => {
    const report = await doctorReport(await behindProxy('rewrite-host'));
    expect(check(report, 'endpoint.unauthenticated')).toMatchObject({
      status: 'fail',
      seen: expect.stringMatching(
        /answered 403 \(-32000 Forbidden: this server does not answer to the host mcp-backend\.internal/,
      ),
      fix: expect.stringContaining('proxy_set_header Host $host'),
    });
  });

  describe('against an OIDC issuer', () => {
    it('an issuer that does not match its metadata: as.issuer, with the value to configure', async () => {
      const issuer = started(await OidcTestIssuer.start({ registration: true }));
      const app = started(await startTestApp(null, { AUTH_PROVIDER: 'oidc', OIDC_ISSUER_URL: `${issuer.issuer}/` }));
      const report = await doctorReport(app.mcpUrl);
      expect(failed(report)).toEqual(['as.issuer']);
      expect(check(report, 'as.issuer')).toMatchObject({
        seen: `its issuer "${issuer.issuer}" is not the issuer named in authorization_servers ${issuer.issuer}/`,
        fix: expect.stringContaining(`("${issuer.issuer}"): set OIDC_ISSUER_URL or CLERK_FRONTEND_API_URL to it`),
      });
    });

    it('challenge scopes the issuer does not support: as.scopes, and the server itself is not ready and says why', async () => {
      const issuer = started(await OidcTestIssuer.start({ scopes: ['api'], registration: true }));
      const app = started(await startTestApp(null, { AUTH_PROVIDER: 'oidc', OIDC_ISSUER_URL: issuer.issuer }));
      const report = await doctorReport(app.mcpUrl);
      expect(failed(report)).toEqual(['as.scopes']);
      expect(check(report, 'as.scopes')).toMatchObject({
        seen: expect.stringMatching(/^profile email \(the challenge scope\) not in scopes_supported \[.*"api".*\]$/),
        fix: expect.stringContaining('or set MCP_SCOPES to scopes it supports'),
      });

      const readiness = await fetch(`${app.baseUrl}/readyz`);
      expect(readiness.status).toBe(503);
      const body = (await readiness.json()) as { details: Record<string, { status: string; message?: string }> };
      expect(body.details.authorization_server.status).toBe('up');
      expect(body.details.configuration.status).toBe('down');
      expect(body.details.configuration.message).toMatch(
        /^as\.scopes: profile email \(MCP_SCOPES\) not in scopes_supported .* Fix: .*MCP_SCOPES/,
      );
    });
  });

  describe('against Clerk', () => {
    let clerk: ClerkStandIn;
    beforeAll(async () => {
      clerk = await ClerkStandIn.start();
    });
    afterAll(async () => clerk.close());

    it('no PKCE S256: as.pkce-s256, with the switch', async () => {
      clerk.setMetadataOverrides({ code_challenge_methods_supported: ['plain'] });
      try {
        const app = started(await startTestApp(clerk));
        const report = await doctorReport(app.mcpUrl);
        expect(failed(report)).toEqual(['as.pkce-s256']);
        expect(check(report, 'as.pkce-s256')).toMatchObject({
          seen: 'code_challenge_methods_supported is ["plain"], without S256, so clients would refuse it',
          fix: expect.stringContaining('Turn on PKCE with S256'),
        });
      } finally {
        clerk.setMetadataOverrides({});
      }
    });

    it('registration turned off: as.registration, with the dashboard switch; ready no more', async () => {
      clerk.setMetadataOverrides({}, { remove: ['registration_endpoint'] });
      try {
        const app = started(await startTestApp(clerk));
        const report = await doctorReport(app.mcpUrl);
        expect(failed(report)).toEqual(['as.registration']);
        expect(check(report, 'as.registration')?.fix).toContain(
          'Clerk: Configure → OAuth applications → Dynamic client registration',
        );
        expect((await fetch(`${app.baseUrl}/readyz`)).status).toBe(503);
      } finally {
        clerk.setMetadataOverrides({});
      }
    });
  });
});
