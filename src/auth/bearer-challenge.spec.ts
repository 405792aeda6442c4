import { describe, expect, it } from '@jest/globals';
import { formatBearerChallenge } from './bearer-challenge.js';

describe('formatBearerChallenge', () => {
  const base = {
    resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    scopes: ['profile', 'email'],
  };

  it('sends no error code when no token was presented (RFC 6750 §3.1)', () => {
    expect(formatBearerChallenge(base)).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="profile email"',
    );
  });

  it('quotes and escapes values, and keeps error_description within the RFC 6750 character set', () => {
    expect(
      formatBearerChallenge({
        ...base,
        scopes: [],
        error: 'invalid_token',
        errorDescription: 'bad "token" \\ here\nnow',
      }),
    ).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", error="invalid_token", error_description="bad  token    here now"',
    );
  });
});
