import { describe, expect, it } from '@jest/globals';
import { discoveryUrls, findMetadataProblem } from './authorization-server-metadata.js';

describe('discoveryUrls', () => {
  it('inserts the issuer path for RFC 8414, then tries OpenID discovery inserted and appended', () => {
    expect(discoveryUrls('https://auth.example.com/tenant1', 'oauth-authorization-server')).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
      'https://auth.example.com/.well-known/openid-configuration/tenant1',
      'https://auth.example.com/tenant1/.well-known/openid-configuration',
    ]);
    expect(discoveryUrls('https://auth.example.com/tenant1/', 'openid-configuration')).toEqual([
      'https://auth.example.com/.well-known/openid-configuration/tenant1',
      'https://auth.example.com/tenant1/.well-known/openid-configuration',
      'https://auth.example.com/.well-known/oauth-authorization-server/tenant1',
    ]);
  });

  it('asks a path-less issuer at the root only', () => {
    expect(discoveryUrls('https://clerk.example.com', 'oauth-authorization-server')).toEqual([
      'https://clerk.example.com/.well-known/oauth-authorization-server',
      'https://clerk.example.com/.well-known/openid-configuration',
    ]);
  });
});

describe('findMetadataProblem', () => {
  const good = {
    issuer: 'https://auth.example.com',
    authorization_endpoint: 'https://auth.example.com/authorize',
    token_endpoint: 'https://auth.example.com/token',
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    jwks_uri: 'https://auth.example.com/jwks',
  };

  it('accepts a complete document for the configured issuer', () => {
    expect(findMetadataProblem(good, 'https://auth.example.com', true)).toBeUndefined();
  });

  it('names what is wrong', () => {
    expect(findMetadataProblem([], 'https://auth.example.com', true)).toBe('the body is not a JSON object');
    expect(
      findMetadataProblem(
        { ...good, token_endpoint: undefined, jwks_uri: undefined },
        'https://auth.example.com',
        true,
      ),
    ).toBe('required fields are missing: token_endpoint, jwks_uri');
    expect(findMetadataProblem(good, 'https://auth.example.com/', true)).toMatch(/is not the configured issuer/);
    expect(
      findMetadataProblem({ ...good, code_challenge_methods_supported: ['plain'] }, 'https://auth.example.com', true),
    ).toMatch(/S256/);
  });
});
