import { describe, expect, it } from '@jest/globals';
import { frontendApiHostFromPublishableKey, loadAppConfig } from '../../../src/config/app-config.js';
import { configurationProblems } from '../../support/configuration-problems.js';

const publishableKeyFor = (host: string): string =>
  `pk_test_${Buffer.from(`${host}$`).toString('base64').replace(/=+$/, '')}`;
const clerkKeys = { CLERK_SECRET_KEY: 'sk_test_abc', CLERK_PUBLISHABLE_KEY: publishableKeyFor('clerk.example.com') };

const problemsOf = configurationProblems;

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadAppConfig(clerkKeys);
    expect(config.server.port).toBe(3000);
    expect(config.server.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.server.resourceUrl).toBe('http://localhost:3000/mcp');
    expect(config.server.resourceMetadataUrl).toBe('http://localhost:3000/.well-known/oauth-protected-resource/mcp');
    expect(config.mcp.scopes).toEqual(['profile', 'email']);
    expect(config.auth.issuer).toBe('https://clerk.example.com');
    expect(config.clerk?.apiUrl).toBe('https://api.clerk.com');
    expect(config.auth.audienceMode).toBe('when-present');
    expect(config.mcp.sessionMode).toBe('stateless');
  });

  it('treats empty values, as .env.example leaves them, as unset', () => {
    const config = loadAppConfig({ ...clerkKeys, PORT: '', CLERK_API_URL: '', PUBLIC_BASE_URL: ' ' });
    expect(config.server.port).toBe(3000);
    expect(config.clerk?.apiUrl).toBe('https://api.clerk.com');
    expect(config.server.publicBaseUrl).toBe('http://localhost:3000');
  });

  it('derives the resource from PUBLIC_BASE_URL and MCP_PATH', () => {
    const config = loadAppConfig({
      ...clerkKeys,
      PUBLIC_BASE_URL: 'https://MCP.example.com',
      MCP_PATH: '/tools/mcp',
      PORT: '8080',
    });
    expect(config.server.resourceUrl).toBe('https://mcp.example.com/tools/mcp');
    expect(config.server.resourceMetadataUrl).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/tools/mcp',
    );
  });

  it('names each bad variable and what it must be', () => {
    const problems = problemsOf({
      ...clerkKeys,
      PORT: 'eighty',
      PUBLIC_BASE_URL: 'https://mcp.example.com/',
      MCP_PATH: 'mcp/',
      AUTH_AUDIENCE_MODE: 'maybe',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be a whole number from 1 to 65535 (got "eighty")',
        expect.stringMatching(/^PUBLIC_BASE_URL must be an origin/),
        expect.stringMatching(/^MCP_PATH must be a path such as \/mcp/),
        'AUTH_AUDIENCE_MODE must be one of strict, when-present, off (got "maybe")',
      ]),
    );
  });

  it('picks the authorization server from what is configured', () => {
    expect(loadAppConfig(clerkKeys).auth.provider).toBe('clerk');
    expect(loadAppConfig({ OIDC_ISSUER_URL: 'https://tenant.auth0.com/' }).auth.provider).toBe('oidc');
    const embedded = loadAppConfig({});
    expect(embedded.auth.provider).toBe('embedded');
    expect(embedded.auth.issuer).toBe('http://localhost:3000');
    expect(embedded.clerk).toBeUndefined();
    const oidc = loadAppConfig({
      AUTH_PROVIDER: 'oidc',
      OIDC_ISSUER_URL: 'https://tenant.auth0.com/',
      OIDC_ALGORITHMS: 'RS256,ES256',
    });
    expect(oidc.auth.issuer).toBe('https://tenant.auth0.com/');
    expect(oidc.oidc.algorithms).toEqual(['RS256', 'ES256']);
  });

  it('reaches the embedded issuer over loopback, and any other issuer as published', () => {
    expect(
      loadAppConfig({ HOST: '0.0.0.0', PORT: '4000', PUBLIC_BASE_URL: 'https://mcp.example.com' }).server.overLoopback(
        'https://mcp.example.com/oauth/jwks',
      ),
    ).toBe('http://127.0.0.1:4000/oauth/jwks');
    expect(loadAppConfig(clerkKeys).server.overLoopback('https://clerk.example.com/.well-known/jwks.json')).toBe(
      'https://clerk.example.com/.well-known/jwks.json',
    );
  });

  it('says what each provider is missing', () => {
    expect(problemsOf({ AUTH_PROVIDER: 'clerk' }).join('\n')).toMatch(
      /CLERK_SECRET_KEY must be the Clerk secret key[\s\S]*CLERK_PUBLISHABLE_KEY must be/,
    );
    expect(problemsOf({ AUTH_PROVIDER: 'oidc' })[0]).toMatch(/^OIDC_ISSUER_URL must be the issuer URL/);
    expect(problemsOf({ OIDC_ISSUER_URL: 'https://x', OIDC_ALGORITHMS: 'RS256,none' })[0]).toMatch(
      /^OIDC_ALGORITHMS must be a comma-separated list/,
    );
  });

  it('refuses the embedded development server in production unless explicitly allowed', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mcp.example.com' });
    expect(problems).toEqual([
      expect.stringMatching(/^AUTH_PROVIDER=embedded is a development sign-in .* refused when NODE_ENV=production/),
    ]);
    expect(
      loadAppConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mcp.example.com', ALLOW_EMBEDDED_AUTH: 'true' })
        .auth.provider,
    ).toBe('embedded');
  });

  it('never echoes a secret', () => {
    const problems = problemsOf({
      CLERK_SECRET_KEY: 'hunter2',
      CLERK_PUBLISHABLE_KEY: clerkKeys.CLERK_PUBLISHABLE_KEY,
    });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('refuses offline_access in MCP_SCOPES', () => {
    expect(problemsOf({ ...clerkKeys, MCP_SCOPES: 'profile offline_access' })[0]).toMatch(
      /^MCP_SCOPES must not contain offline_access/,
    );
  });

  it('decodes the Frontend API host from the publishable key', () => {
    expect(frontendApiHostFromPublishableKey(publishableKeyFor('clerk.acme.dev'))).toBe('clerk.acme.dev');
    expect(frontendApiHostFromPublishableKey(publishableKeyFor('localhost:4010'))).toBeUndefined();
    expect(problemsOf({ ...clerkKeys, CLERK_PUBLISHABLE_KEY: 'pk_test_bm90LWEta2V5' })[0]).toMatch(/does not decode/);
  });

  it('refuses unsafe settings in production, saying how to fix them', () => {
    const problems = problemsOf({ ...clerkKeys, NODE_ENV: 'production', AUTH_AUDIENCE_MODE: 'off' });
    expect(problems).toEqual([
      'PUBLIC_BASE_URL must be set when NODE_ENV=production: the https origin clients use, e.g. https://mcp.example.com',
      'AUTH_AUDIENCE_MODE=off is refused when NODE_ENV=production: use when-present (accepts tokens without aud) or strict',
    ]);
    expect(problemsOf({ ...clerkKeys, NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://mcp.example.com' })[0]).toMatch(
      /must use https/,
    );
    expect(
      loadAppConfig({ ...clerkKeys, NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://mcp.example.com' }).server
        .isProduction,
    ).toBe(true);
  });
});
