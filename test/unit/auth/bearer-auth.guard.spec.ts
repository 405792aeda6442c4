import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { AuthModule } from '../../../src/auth/auth.module.js';
import { BearerAuthGuard } from '../../../src/auth/bearer-auth.guard.js';
import { callerOf } from '../../../src/auth/caller.js';
import type { AuthMode } from '../../../src/config/environment.js';
import { BearerChallengeError } from '../../../src/errors/errors.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import { AuthProviderModule } from '../../../src/providers/auth-provider.module.js';
import { ClerkStandIn } from '../../support/clerk-stand-in.js';
import { clerkEnvironment } from '../../support/test-app.js';
import { configModule, httpContext, requestTo } from '../../support/unit-context.js';

/**
 * The guard with its real collaborators: the Clerk provider's verifier, which fetches keys from the
 * stand-in over HTTP, the audience policy and the metrics.
 */
describe('BearerAuthGuard', () => {
  let clerk: ClerkStandIn;
  const guards = new Map<AuthMode, { guard: BearerAuthGuard; metrics: Metrics; moduleRef: TestingModule }>();

  beforeAll(async () => {
    clerk = await ClerkStandIn.start();
    for (const mode of ['required', 'mixed'] as const) {
      const moduleRef = await Test.createTestingModule({
        imports: [
          await configModule({ ...clerkEnvironment(clerk), MCP_AUTH_MODE: mode }),
          AuthModule.forRoot(await AuthProviderModule.forRoot('clerk')),
        ],
      }).compile();
      guards.set(mode, { guard: moduleRef.get(BearerAuthGuard), metrics: moduleRef.get(Metrics), moduleRef });
    }
  });
  afterAll(async () => {
    for (const { moduleRef } of guards.values()) await moduleRef.close();
    await clerk.close();
  });

  const setUp = (mode: AuthMode): { guard: BearerAuthGuard; metrics: Metrics } => guards.get(mode)!;
  const withToken = (token: string) => requestTo('/mcp', { Authorization: `Bearer ${token}` });

  /** The refusal the guard raises for `request`; fails the test when it lets the request through. */
  async function refusal(mode: AuthMode, request = requestTo('/mcp')): Promise<BearerChallengeError> {
    const error = await setUp(mode)
      .guard.canActivate(httpContext(request))
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    if (!(error instanceof BearerChallengeError)) throw new Error(`expected a refusal, got ${String(error)}`);
    return error;
  }

  const anonymousCount = async (mode: AuthMode): Promise<number> => {
    const line = (await setUp(mode).metrics.render())
      .split('\n')
      .find((candidate) => candidate.startsWith('mcp_auth_outcomes_total{outcome="anonymous"} '));
    return line ? Number(line.split(' ')[1]) : 0;
  };

  it('refuses a request without a token with 401 and no error code (RFC 6750 §3.1)', async () => {
    expect(await refusal('required')).toMatchObject({
      status: 401,
      code: undefined,
      reason: 'missing',
      message: 'A bearer access token is required.',
    });
  });

  it('sets the verified caller on the request, for the SDKs too', async () => {
    const token = await clerk.mintJwt({ scopes: ['profile'], clientId: 'client_unit' });
    const request = withToken(token);
    expect(await setUp('required').guard.canActivate(httpContext(request))).toBe(true);
    expect(callerOf(request)?.identity).toMatchObject({
      userId: clerk.defaultUser.id,
      clientId: 'client_unit',
      scopes: ['profile'],
      tokenKind: 'jwt',
    });
    expect(request.auth).toMatchObject({ token, clientId: 'client_unit', scopes: ['profile'] });
  });

  it('mixed mode: lets a request without a token in anonymously, and counts it', async () => {
    const before = await anonymousCount('mixed');
    const request = requestTo('/mcp');
    expect(await setUp('mixed').guard.canActivate(httpContext(request))).toBe(true);
    expect(callerOf(request)).toMatchObject({ anonymous: 'no-token' });
    expect(callerOf(request)?.identity).toBeUndefined();
    expect(request.auth).toMatchObject({ token: '', scopes: [] });
    expect((await anonymousCount('mixed')) - before).toBe(1);
  });

  it('mixed mode: lets a request with an expired token in anonymously, so the tool can ask to sign in again', async () => {
    const request = withToken(await clerk.mintJwt({ expiresInSeconds: -60 }));
    expect(await setUp('mixed').guard.canActivate(httpContext(request))).toBe(true);
    expect(callerOf(request)).toMatchObject({ anonymous: 'expired' });
  });

  it('required mode: refuses an expired token', async () => {
    const request = withToken(await clerk.mintJwt({ expiresInSeconds: -60 }));
    expect(await refusal('required', request)).toMatchObject({
      status: 401,
      code: 'invalid_token',
      reason: 'expired',
      message: 'The access token has expired.',
    });
  });

  it('refuses a bad token in both modes, never silently anonymous', async () => {
    const badTokens = [
      await clerk.mintJwt({ signWithForeignKey: true }),
      await clerk.mintJwt({ issuer: 'https://evil.example.com' }),
      'not-a-token',
    ];
    for (const mode of ['required', 'mixed'] as const)
      for (const token of badTokens) {
        const request = withToken(token);
        expect(await refusal(mode, request)).toMatchObject({ status: 401, code: 'invalid_token', reason: 'invalid' });
        expect(callerOf(request)).toBeUndefined();
      }
  });

  it('refuses a token issued for another resource in both modes', async () => {
    for (const mode of ['required', 'mixed'] as const)
      expect(
        await refusal(mode, withToken(await clerk.mintJwt({ aud: 'https://other.example.com/mcp' }))),
      ).toMatchObject({
        status: 401,
        code: 'invalid_token',
        reason: 'audience',
      });
  });

  it('refuses a token outside the Authorization header, or two of them, with 400 in both modes', async () => {
    const token = await clerk.mintJwt();
    for (const mode of ['required', 'mixed'] as const) {
      expect(await refusal(mode, requestTo('/mcp', {}, { query: { access_token: token } }))).toMatchObject({
        status: 400,
        code: 'invalid_request',
      });
      expect(await refusal(mode, requestTo('/mcp', { Authorization: `Bearer ${token} ${token}` }))).toMatchObject({
        status: 400,
        code: 'invalid_request',
      });
    }
  });
});
