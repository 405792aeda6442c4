import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { RawEnvironment } from '../../../src/config/environment.js';
import { ScopePolicy } from '../../../src/mcp/scope-policy.js';
import { configModule } from '../../support/unit-context.js';

async function policyWith(env: RawEnvironment = {}): Promise<ScopePolicy> {
  const moduleRef = await Test.createTestingModule({
    imports: [await configModule(env)],
    providers: [ScopePolicy],
  }).compile();
  return moduleRef.get(ScopePolicy);
}

describe('ScopePolicy', () => {
  it('names every required scope the granted ones lack, in the order required', async () => {
    const policy = await policyWith();
    expect(policy.missing(['profile', 'email'], ['profile', 'email'])).toEqual([]);
    expect(policy.missing(['profile', 'email'], ['email'])).toEqual(['profile']);
    expect(policy.missing(['email', 'profile'], [])).toEqual(['email', 'profile']);
    expect(policy.missing([], [])).toEqual([]);
  });

  it('without MCP_SCOPE_IMPLICATIONS, no scope stands in for another', async () => {
    expect((await policyWith()).missing(['email'], ['admin'])).toEqual(['email']);
  });

  it('treats a broader scope as holding what it implies, transitively, and nothing more', async () => {
    const policy = await policyWith({ MCP_SCOPE_IMPLICATIONS: 'admin=profile email;superadmin=admin' });
    expect(policy.missing(['profile', 'email'], ['admin'])).toEqual([]);
    expect(policy.missing(['profile', 'email', 'admin'], ['superadmin'])).toEqual([]);
    expect(policy.missing(['superadmin'], ['admin'])).toEqual(['superadmin']);
    expect(policy.missing(['email', 'billing'], ['admin'])).toEqual(['billing']);
    expect(policy.missing(['email'], ['other'])).toEqual(['email']);
  });

  it('asks in a challenge for the baseline scopes plus the operation’s own, each once', async () => {
    const policy = await policyWith({ MCP_SCOPES: 'profile email' });
    expect(policy.challengeScopes([])).toEqual(['profile', 'email']);
    expect(policy.challengeScopes(['email'])).toEqual(['profile', 'email']);
    expect(policy.challengeScopes(['billing'])).toEqual(['profile', 'email', 'billing']);
  });
});
