import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { AudiencePolicy } from '../../../src/auth/audience-policy.js';
import type { RawEnvironment } from '../../../src/config/environment.js';
import { BearerChallengeError } from '../../../src/errors/errors.js';
import { configModule, identityWith, TEST_RESOURCE } from '../../support/unit-context.js';

const OTHER = 'https://other.example.com/mcp';

async function policyWith(env: RawEnvironment): Promise<AudiencePolicy> {
  const moduleRef = await Test.createTestingModule({
    imports: [await configModule(env)],
    providers: [AudiencePolicy],
  }).compile();
  return moduleRef.get(AudiencePolicy);
}

/** The refusal a token with `audience` meets, or undefined when it passes. */
function refusalOf(policy: AudiencePolicy, audience: string[]): BearerChallengeError | undefined {
  try {
    policy.check(identityWith({ audience }));
    return undefined;
  } catch (error) {
    if (error instanceof BearerChallengeError) return error;
    throw error;
  }
}

describe('AudiencePolicy (RFC 8707 audience binding)', () => {
  it('strict: needs aud naming this resource, with or without a trailing slash', async () => {
    const policy = await policyWith({ AUTH_AUDIENCE_MODE: 'strict' });
    expect(refusalOf(policy, [TEST_RESOURCE])).toBeUndefined();
    expect(refusalOf(policy, [`${TEST_RESOURCE}/`])).toBeUndefined();
    expect(refusalOf(policy, [OTHER, TEST_RESOURCE])).toBeUndefined();
    expect(refusalOf(policy, [])).toMatchObject({
      status: 401,
      code: 'invalid_token',
      reason: 'audience',
      message: `The access token is not bound to ${TEST_RESOURCE} (no aud claim).`,
    });
    expect(refusalOf(policy, [OTHER])).toMatchObject({
      status: 401,
      code: 'invalid_token',
      reason: 'audience',
      message: `The access token was issued for another resource, not ${TEST_RESOURCE}.`,
    });
  });

  it('when-present (the default): accepts a token without aud, refuses one for another resource', async () => {
    for (const policy of [await policyWith({}), await policyWith({ AUTH_AUDIENCE_MODE: 'when-present' })]) {
      expect(refusalOf(policy, [TEST_RESOURCE])).toBeUndefined();
      expect(refusalOf(policy, [])).toBeUndefined();
      expect(refusalOf(policy, [OTHER])).toMatchObject({ code: 'invalid_token', reason: 'audience' });
    }
  });

  it('off: ignores aud', async () => {
    const policy = await policyWith({ AUTH_AUDIENCE_MODE: 'off' });
    expect(refusalOf(policy, [OTHER])).toBeUndefined();
    expect(refusalOf(policy, [])).toBeUndefined();
  });

  it('accepts AUTH_EXTRA_AUDIENCES as well as this resource, and nothing else', async () => {
    const extra = 'https://api.example.com';
    const policy = await policyWith({ AUTH_AUDIENCE_MODE: 'strict', AUTH_EXTRA_AUDIENCES: extra });
    expect(refusalOf(policy, [extra])).toBeUndefined();
    expect(refusalOf(policy, [TEST_RESOURCE])).toBeUndefined();
    expect(refusalOf(policy, [OTHER])).toMatchObject({ reason: 'audience' });
    expect(refusalOf(await policyWith({ AUTH_AUDIENCE_MODE: 'strict' }), [extra])).toMatchObject({
      reason: 'audience',
    });
  });
});
