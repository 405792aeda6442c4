import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { doctorReport, notOk, runDoctorCli } from '../support/doctor-run.js';
import { OidcTestIssuer } from '../support/oidc-test-issuer.js';
import { startTestApp, useClerkApp, type TestApp } from '../support/test-app.js';

const JWT_LIKE = /eyJ[\w-]{10,}\.[\w-]{10,}\./;

describe('doctor against the product itself', () => {
  describe('embedded authorization server', () => {
    let directory: string;
    let server: TestApp;
    beforeAll(async () => {
      directory = mkdtempSync(join(tmpdir(), 'doctor-embedded-'));
      server = await startTestApp(null, { EMBEDDED_AUTH_STATE_FILE: join(directory, 'state.json') });
    });
    afterAll(async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    });

    it('finds nothing wrong', async () => {
      const report = await doctorReport(server.mcpUrl);
      expect(notOk(report)).toEqual([]);
      expect(report.exitCode).toBe(0);
      // It looked at everything a client looks at: the endpoint, both metadata locations, the issuer.
      const seen = Object.fromEntries(report.checks.map((check) => [check.id, check.seen]));
      expect(seen['endpoint.unauthenticated']).toBe(`POST ${server.mcpUrl} without a token answered 401`);
      expect(seen['prm.resource']).toBe(`resource is exactly ${server.mcpUrl}`);
      expect(seen['as.issuer']).toBe(`issuer is ${new URL(server.mcpUrl).origin}`);
      expect(report.checks.length).toBeGreaterThanOrEqual(20);
    });

    it('signs in as a public client and calls tools in both protocol eras, and never prints the token', async () => {
      const report = await doctorReport(server.mcpUrl, ['--sign-in', '--no-browser', '--sign-in-timeout', '20'], {
        signInAs: 'alice',
      });
      expect(notOk(report)).toEqual([]);
      const seen = Object.fromEntries(report.checks.map((check) => [check.id, check.seen]));
      expect(seen['sign-in.token']).toMatch(/^JWT access token, scopes profile email, lifetime 3600 s/);
      expect(seen['sign-in.audience']).toBe(`aud ${server.mcpUrl} matches the resource`);
      expect(seen['sign-in.2025-11-25.tools-list']).toMatch(/initialize negotiated 2025-11-25; tools\/list: 4 tools/);
      expect(seen['sign-in.2025-11-25.tools-call']).toMatch(/^tools\/call \w+ answered a result$/);
      expect(seen['sign-in.2026-07-28.tools-list']).toMatch(/server\/discover answered; tools\/list: 4 tools/);
      expect(seen['sign-in.2026-07-28.tools-call']).toMatch(/^tools\/call \w+ answered a result$/);
      expect(JSON.stringify(report)).not.toMatch(JWT_LIKE);
      expect(report.stderr).not.toMatch(JWT_LIKE);
    });

    it('prints one line per check with the fix under each failure, and exits 1 when one fails', async () => {
      const run = await runDoctorCli(['doctor', server.mcpUrl.replace(/\/mcp$/, '/mcp/')]);
      expect(run.code).toBe(1);
      const lines = run.stdout.split('\n');
      const resourceLine = lines.findIndex((line) => line.startsWith('fail  prm.resource '));
      expect(lines[resourceLine]).toContain(`says resource "${server.mcpUrl}"`);
      expect(lines[resourceLine + 1]).toMatch(/^\s+fix: Advertise exactly the URL clients are given: set MCP_PATH/);
      expect(lines.filter((line) => /^ok {4}endpoint\.unauthenticated /.test(line))).toHaveLength(1);
      // Not a terminal, and not asked for: no colour, no progress.
      expect(run.stdout).not.toContain('\x1b[');
      expect(run.stderr).toBe('');
    });
    it('on a terminal: colours, and progress on stderr that it clears; NO_COLOR turns the colours off', async () => {
      const coloured = await runDoctorCli(['doctor', server.mcpUrl], { terminal: true });
      expect(coloured.stdout).toContain('\x1b[32mok  \x1b[39m  endpoint.unauthenticated ');
      expect(coloured.stderr).toContain(`POST ${server.mcpUrl}`);
      expect(coloured.stderr.endsWith('\r\x1b[2K')).toBe(true);
      const plain = await runDoctorCli(['doctor', server.mcpUrl], { terminal: true, env: { NO_COLOR: '1' } });
      expect(plain.stdout).not.toContain('\x1b[');
      expect(plain.stdout).toMatch(/^ok {4}endpoint\.unauthenticated /m);
    });
  });

  describe('Clerk', () => {
    const fixture = useClerkApp();

    it('finds nothing wrong, signed in too', async () => {
      const report = await doctorReport(
        fixture.server.mcpUrl,
        ['--sign-in', '--no-browser', '--sign-in-timeout', '20'],
        {
          signInAs: 'alice',
        },
      );
      expect(notOk(report)).toEqual([]);
      expect(report.checks.find((check) => check.id === 'as.metadata')?.seen).toBe(
        `found at ${fixture.clerk.issuer}/.well-known/oauth-authorization-server`,
      );
    });

    it('says so when the token is opaque, and still calls tools', async () => {
      fixture.clerk.setTokenFormat('opaque');
      try {
        const report = await doctorReport(
          fixture.server.mcpUrl,
          ['--sign-in', '--no-browser', '--sign-in-timeout', '20'],
          {
            signInAs: 'alice',
          },
        );
        expect(notOk(report)).toEqual([
          'sign-in.audience: warn the access token is opaque, so its audience cannot be read from outside',
        ]);
        expect(report.checks.find((check) => check.id === 'sign-in.token')?.seen).toMatch(
          /^opaque access token, scopes profile email/,
        );
        expect(report.exitCode).toBe(0);
      } finally {
        fixture.clerk.setTokenFormat('jwt');
      }
    });
  });

  describe('any OIDC issuer', () => {
    let issuer: OidcTestIssuer;
    let server: TestApp;
    beforeAll(async () => {
      issuer = await OidcTestIssuer.start({ registration: true });
      server = await startTestApp(null, { AUTH_PROVIDER: 'oidc', OIDC_ISSUER_URL: issuer.issuer });
    });
    afterAll(async () => {
      await server.close();
      await issuer.close();
    });

    it('finds nothing wrong, having looked for the metadata in the specification’s order', async () => {
      const report = await doctorReport(server.mcpUrl);
      expect(notOk(report)).toEqual([]);
      expect(report.checks.find((check) => check.id === 'as.metadata')?.seen).toBe(
        `found at ${issuer.issuer}/.well-known/openid-configuration (after ${new URL(issuer.issuer).origin}/.well-known/oauth-authorization-server/realms/acme 404, ` +
          `${new URL(issuer.issuer).origin}/.well-known/openid-configuration/realms/acme 404)`,
      );
    });
  });
});
