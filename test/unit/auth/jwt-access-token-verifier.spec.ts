import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { CLOCK } from '../../../src/auth/clock.js';
import { loadAppConfig } from '../../../src/config/app-config.js';
import { ConfigModule } from '../../../src/config/config.module.js';
import { JwtAccessTokenVerifier, type JwtVerificationProfile } from '../../../src/auth/jwt-access-token-verifier.js';
import { BearerChallengeError, UpstreamUnavailableError } from '../../../src/errors/errors.js';
import { MetricsModule } from '../../../src/metrics/metrics.module.js';
import { AccessTokenVerifier } from '../../../src/providers/access-token-verifier.js';
import { AuthProviderModule } from '../../../src/providers/auth-provider.module.js';
import { ClerkStandIn } from '../../support/clerk-stand-in.js';
import { clerkEnvironment, useClerkStandIn } from '../../support/test-app.js';

const COOLDOWN_SECONDS = 30;
const COOLDOWN_MS = COOLDOWN_SECONDS * 1000;

/**
 * The Clerk verifier as its provider module builds it, against the stand-in over real HTTP, with the clock
 * replaced: time moves by assignment, never by waiting.
 */
describe('JWT verification against the issuer key set', () => {
  let clerk: ClerkStandIn;
  let moduleRef: TestingModule;
  let verifier: AccessTokenVerifier;
  let now: number;

  beforeAll(async () => {
    clerk = await ClerkStandIn.start();
  });
  afterAll(() => clerk.close());

  beforeEach(async () => {
    now = Date.now();
    const config = loadAppConfig({
      ...clerkEnvironment(clerk),
      JWKS_REFRESH_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
    });
    moduleRef = await Test.createTestingModule({
      imports: [await ConfigModule.forRoot(config), MetricsModule, await AuthProviderModule.forRoot('clerk')],
    })
      .overrideProvider(CLOCK)
      .useValue(() => now)
      .compile();
    verifier = moduleRef.get(AccessTokenVerifier);
    clerk.resetHits();
  });
  afterEach(async () => {
    clerk.setFault(null);
    await moduleRef.close();
  });

  const refusal = async (token: string): Promise<unknown> =>
    verifier.verify(token).then(
      () => undefined,
      (error: unknown) => error,
    );
  const strangerToken = (index: number): Promise<string> => clerk.mintJwt({ kid: `ins_attacker_${index}` });

  it('starts at most one key-set fetch per cooldown while the key set is down, however many kids it is asked for', async () => {
    expect((await verifier.verify(await clerk.mintJwt())).userId).toBe(clerk.defaultUser.id);
    clerk.setFault('down', { scope: 'fapi' });
    now += COOLDOWN_MS;
    clerk.resetHits();
    for (let index = 0; index < 20; index += 1)
      expect(await refusal(await strangerToken(index))).toBeInstanceOf(UpstreamUnavailableError);
    expect(clerk.hits('fapiJwks')).toBe(1);

    now += COOLDOWN_MS - 1;
    expect(await refusal(await strangerToken(20))).toBeInstanceOf(UpstreamUnavailableError);
    expect(clerk.hits('fapiJwks')).toBe(1);
    now += 1;
    expect(await refusal(await strangerToken(21))).toBeInstanceOf(UpstreamUnavailableError);
    expect(clerk.hits('fapiJwks')).toBe(2);

    // The keys fetched before the outage still verify the tokens they signed, without a fetch.
    expect((await verifier.verify(await clerk.mintJwt())).userId).toBe(clerk.defaultUser.id);
    expect(clerk.hits('fapiJwks')).toBe(2);
  });

  it('shares one fetch between concurrent requests for unknown kids', async () => {
    await verifier.verify(await clerk.mintJwt());
    now += COOLDOWN_MS;
    clerk.resetHits();
    clerk.setFault('slow', { scope: 'fapi', delayMs: 100 });
    const strangers = await Promise.all(Array.from({ length: 20 }, (_, index) => strangerToken(index)));
    const refusals = await Promise.all(strangers.map(refusal));
    for (const error of refusals) expect(error).toBeInstanceOf(BearerChallengeError);
    expect(clerk.hits('fapiJwks')).toBe(1);
  });

  it('refetches for unknown kids at most once per cooldown while the key set is up, and so picks up a rotated key', async () => {
    await verifier.verify(await clerk.mintJwt());
    clerk.resetHits();
    await clerk.rotateKeys();
    const rotated = await clerk.mintJwt();
    for (let index = 0; index < 5; index += 1) {
      const error = await refusal(index === 0 ? rotated : await strangerToken(index));
      expect(error).toBeInstanceOf(BearerChallengeError);
      expect((error as BearerChallengeError).code).toBe('invalid_token');
    }
    expect(clerk.hits('fapiJwks')).toBe(0);
    now += COOLDOWN_MS;
    expect((await verifier.verify(rotated)).userId).toBe(clerk.defaultUser.id);
    expect(await refusal(await strangerToken(5))).toBeInstanceOf(BearerChallengeError);
    expect(clerk.hits('fapiJwks')).toBe(1);
  });

  it('retries a first fetch that failed once the cooldown has passed, not before', async () => {
    clerk.setFault('down', { scope: 'fapi' });
    const token = await clerk.mintJwt();
    for (let attempt = 0; attempt < 5; attempt += 1)
      expect(await refusal(token)).toBeInstanceOf(UpstreamUnavailableError);
    expect(clerk.hits('fapiJwks')).toBe(1);
    clerk.setFault(null);
    expect(await refusal(token)).toBeInstanceOf(UpstreamUnavailableError);
    now += COOLDOWN_MS;
    expect((await verifier.verify(token)).userId).toBe(clerk.defaultUser.id);
    expect(clerk.hits('fapiJwks')).toBe(2);
  });

  it('refuses a replayed forged token the same way, and judges it afresh once another key set is fetched', async () => {
    const forged = await clerk.mintJwt({ signWithForeignKey: true });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const error = await refusal(forged);
      expect(error).toBeInstanceOf(BearerChallengeError);
      expect((error as BearerChallengeError).message).toBe('The access token signature is not valid.');
    }
    expect(clerk.hits('fapiJwks')).toBe(1);
    await clerk.publishForeignKeyUnderCurrentKid();
    expect(await refusal(forged)).toBeInstanceOf(BearerChallengeError);
    now += COOLDOWN_MS;
    // An unknown kid past the cooldown makes the verifier fetch the key set again; the refusal was the old set's.
    expect(await refusal(await strangerToken(0))).toBeInstanceOf(BearerChallengeError);
    expect(clerk.hits('fapiJwks')).toBe(2);
    expect((await verifier.verify(forged)).userId).toBe(clerk.defaultUser.id);
  });

  it('trusts a verified token again, without a check, until the keys it was verified with are replaced', async () => {
    const token = await clerk.mintJwt();
    const verified = await verifier.verify(token);
    // Half the token's hour: long past any fixed re-check interval, well within its expiry and the keys' cache age.
    now += 30 * 60_000;
    expect(await verifier.verify(token)).toBe(verified);
    // The issuer withdraws the key. A token naming the new one, past the cooldown, brings the new set.
    await clerk.rotateKeys();
    expect((await verifier.verify(await clerk.mintJwt())).userId).toBe(clerk.defaultUser.id);
    const error = await refusal(token);
    expect(error).toBeInstanceOf(BearerChallengeError);
    expect((error as BearerChallengeError).message).toMatch(/key the authorization server does not publish/);
  });

  it('never trusts a remembered token past its expiry', async () => {
    const token = await clerk.mintJwt({ expiresInSeconds: 600 });
    const verified = await verifier.verify(token);
    now += 590_000;
    expect(await verifier.verify(token)).toBe(verified);
    now += 70_000;
    const error = await refusal(token);
    expect(error).toBeInstanceOf(BearerChallengeError);
    expect(error).toMatchObject({ reason: 'expired' });
  });

  it('judges iat by its clock: beyond the skew ahead of it is refused', async () => {
    const token = await clerk.mintJwt({ omitClaims: ['nbf'] });
    now -= 60_000;
    const error = await refusal(token);
    expect(error).toBeInstanceOf(BearerChallengeError);
    expect((error as BearerChallengeError).message).toMatch(/iat/);
    now += 60_000;
    expect((await verifier.verify(token)).userId).toBe(clerk.defaultUser.id);
  });
});

/** The verifier alone, built as a provider module would, against the stand-in's key set. */
describe('JWT verification, the verifier alone', () => {
  const standIn = useClerkStandIn();

  /** A verifier of the stand-in's tokens; `jwksUrl` is where it asks where the keys are published. */
  const verifierOf = (profile: Partial<JwtVerificationProfile> = {}): JwtAccessTokenVerifier => {
    const keySetUrl = `${standIn.clerk.issuer}/.well-known/jwks.json`;
    return new JwtAccessTokenVerifier({
      issuer: standIn.clerk.issuer,
      algorithms: ['RS256'],
      requiredType: 'at+jwt',
      jwksUrl: () => Promise.resolve({ published: keySetUrl, fetchFrom: keySetUrl }),
      clockSkewSeconds: 5,
      jwksCacheMs: 600_000,
      jwksRefreshCooldownMs: COOLDOWN_MS,
      upstreamTimeoutMs: 2000,
      onKeySetFetch: () => undefined,
      now: Date.now,
      ...profile,
    });
  };

  it('refuses a replayed forged token without asking where the keys are published again', async () => {
    const { clerk } = standIn;
    let locationLookups = 0;
    const keySetUrl = `${clerk.issuer}/.well-known/jwks.json`;
    const verifier = verifierOf({
      jwksUrl: () => {
        locationLookups += 1;
        return Promise.resolve({ published: keySetUrl, fetchFrom: keySetUrl });
      },
    });
    expect((await verifier.verify(await clerk.mintJwt())).userId).toBe(clerk.defaultUser.id);
    expect(locationLookups).toBe(1);
    const forged = await clerk.mintJwt({ signWithForeignKey: true });
    const refusals: unknown[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1)
      refusals.push(await verifier.verify(forged).catch((error: unknown) => error));
    for (const error of refusals) {
      expect(error).toBeInstanceOf(BearerChallengeError);
      expect(error).toMatchObject({ code: 'invalid_token', reason: 'invalid' });
      expect((error as BearerChallengeError).message).toBe('The access token signature is not valid.');
    }
    // The first refusal was judged with the keys from their location; its replays against the keys in hand.
    expect(locationLookups).toBe(2);
    expect((await verifier.verify(await clerk.mintJwt({ sub: 'user_other' }))).userId).toBe('user_other');
    expect(locationLookups).toBe(3);
  });

  it('trusts a verdict reached with stale keys again only once they are fetched again, and found unchanged', async () => {
    const { clerk } = standIn;
    // Keys that are stale as soon as they are fetched.
    const verifier = verifierOf({ jwksCacheMs: 0, jwksRefreshCooldownMs: 0 });
    const token = await clerk.mintJwt();
    const first = await verifier.verify(token);
    clerk.resetHits();
    // The remembered verdict itself, not one reached again: no signature is checked twice against the same keys.
    expect(await verifier.verify(token)).toBe(first);
    expect(clerk.hits('fapiJwks')).toBe(1);
  });

  it('reaches a verdict again when stale keys fetched again have changed, even under the same kid', async () => {
    const { clerk } = standIn;
    const verifier = verifierOf({ jwksCacheMs: 0, jwksRefreshCooldownMs: 0 });
    const token = await clerk.mintJwt();
    expect((await verifier.verify(token)).userId).toBe(clerk.defaultUser.id);
    // The issuer replaces the key the token was signed with, keeping its kid.
    await clerk.publishForeignKeyUnderCurrentKid();
    const error = await verifier.verify(token).catch((refusal: unknown) => refusal);
    expect(error).toBeInstanceOf(BearerChallengeError);
    expect((error as BearerChallengeError).message).toBe('The access token signature is not valid.');
  });
});

/** The spelling check runs before anything else, so a verifier that can reach no key set shows its verdict. */
describe('JWT signature spelling', () => {
  const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const verifier = new JwtAccessTokenVerifier({
    issuer: 'https://issuer.invalid',
    algorithms: ['RS256'],
    jwksUrl: () => Promise.reject(new Error('no key set in this test')),
    clockSkewSeconds: 0,
    jwksCacheMs: 0,
    jwksRefreshCooldownMs: 0,
    upstreamTimeoutMs: 0,
    onKeySetFetch: () => undefined,
    now: () => 0,
  });
  /** Canonical: decoding and encoding again gives back the same string (no unused bits set, no dangling character). */
  const isCanonical = (signature: string): boolean =>
    Buffer.from(signature, 'base64url').toString('base64url') === signature;
  const refusedAsMisspelt = async (token: string): Promise<boolean> =>
    verifier.verify(token).then(
      () => false,
      (error: unknown) => error instanceof BearerChallengeError && /canonical base64url/.test(error.message),
    );

  it('refuses exactly the signatures that are not in canonical base64url, whatever their length', async () => {
    for (const length of [40, 41, 42, 43])
      for (const last of BASE64URL) {
        const signature = `${'A'.repeat(length - 1)}${last}`;
        expect([signature, await refusedAsMisspelt(`eyJhbGciOiJSUzI1NiJ9.e30.${signature}`)]).toEqual([
          signature,
          !isCanonical(signature),
        ]);
      }
    expect(await refusedAsMisspelt('eyJhbGciOiJSUzI1NiJ9.e30.')).toBe(false);
  });
});
