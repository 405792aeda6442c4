import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createClerkClient, type ClerkClient } from '@clerk/backend';
import { verifyMachineAuthToken } from '@clerk/backend/internal';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { ClerkStandIn } from './clerk-stand-in.js';

interface ClerkApiError {
  status: number;
  errors: { code: string }[];
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('ClerkStandIn', () => {
  let standIn: ClerkStandIn;
  let clerk: ClerkClient;

  beforeAll(async () => {
    standIn = await ClerkStandIn.start();
    clerk = createClerkClient({
      secretKey: standIn.secretKey,
      publishableKey: standIn.publishableKey,
      apiUrl: standIn.url,
      telemetry: { disabled: true },
    });
  });
  afterAll(async () => standIn.close());
  afterEach(() => {
    standIn.setFault(null);
    standIn.setOpaqueVerifyAnswersRevokedWith200(false);
    standIn.setMetadataOverrides({});
    standIn.setTokenFormat('jwt');
  });

  it('exposes the keys and URLs the harness needs', () => {
    expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(standIn.issuer).toBe(standIn.url);
    expect(standIn.secretKey).toBe('sk_test_emulator');
    const encoded = standIn.publishableKey.replace(/^pk_test_/, '');
    expect(encoded).not.toContain('=');
    expect(Buffer.from(encoded, 'base64').toString()).toBe(`${standIn.url.replace('http://', '')}$`);
    expect(standIn.currentKid).toBe('ins_emulator');
  });

  describe('BAPI through the real @clerk/backend SDK', () => {
    it('verifies an opaque token with millisecond timestamps and no aud unless bound', async () => {
      const token = standIn.mintOpaqueToken({ scopes: ['profile', 'email'], clientId: 'client_chatgpt' });
      expect(token).toMatch(/^oat_[0-9a-f]{32}$/);
      standIn.resetHits();
      const verified = await clerk.idPOAuthAccessToken.verify(token);
      expect(verified).toMatchObject({
        subject: 'user_alice',
        clientId: 'client_chatgpt',
        scopes: ['profile', 'email'],
        revoked: false,
        expired: false,
      });
      expect(verified.expiration).toBeGreaterThan(Date.now());
      expect(verified.expiration).toBeLessThanOrEqual(Date.now() + 3600_000);
      expect(verified.aud ?? undefined).toBeUndefined();
      expect(standIn.hits('verify')).toBe(1);
      const headers = standIn.lastRequestHeaders('verify');
      expect(headers?.authorization).toBe('Bearer sk_test_emulator');
      expect(headers?.['clerk-api-version']).toBeDefined();

      const bound = standIn.mintOpaqueToken({ aud: ['https://mcp.example.com/mcp'] });
      expect((await clerk.idPOAuthAccessToken.verify(bound, { audience: 'https://mcp.example.com/mcp' })).aud).toEqual([
        'https://mcp.example.com/mcp',
      ]);
    });

    it('answers unknown, revoked and expired opaque tokens with 404 ClerkErrors', async () => {
      const revoked = standIn.mintOpaqueToken();
      standIn.revoke(revoked);
      for (const token of [
        'oat_00000000000000000000000000000000',
        revoked,
        standIn.mintOpaqueToken({ expiresInSeconds: -10 }),
        standIn.mintOpaqueToken({ expired: true }),
      ]) {
        const error = (await rejection(clerk.idPOAuthAccessToken.verify(token))) as ClerkApiError;
        expect(error.status).toBe(404);
        expect(error.errors[0]?.code).toBe('resource_not_found');
      }
    });

    it('can answer revoked and expired opaque tokens with 200 and flags instead', async () => {
      standIn.setOpaqueVerifyAnswersRevokedWith200(true);
      expect(await clerk.idPOAuthAccessToken.verify(standIn.mintOpaqueToken({ revoked: true }))).toMatchObject({
        revoked: true,
        expired: false,
      });
      expect(await clerk.idPOAuthAccessToken.verify(standIn.mintOpaqueToken({ expiresInSeconds: -10 }))).toMatchObject({
        revoked: false,
        expired: true,
      });
    });

    it('serves the /v1 alias of the verify route with exactly application/json', async () => {
      const response = await fetch(`${standIn.url}/v1/oauth_applications/access_tokens/verify`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${standIn.secretKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ access_token: standIn.mintOpaqueToken() }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({
        object: 'clerk_idp_oauth_access_token',
        type: 'oauth:access_token',
        subject: 'user_alice',
      });
    });

    it('rejects a wrong secret key with 401 clerk_key_invalid', async () => {
      const wrong = createClerkClient({
        secretKey: 'sk_test_wrong',
        apiUrl: standIn.url,
        telemetry: { disabled: true },
      });
      const error = (await rejection(wrong.idPOAuthAccessToken.verify(standIn.mintOpaqueToken()))) as ClerkApiError;
      expect(error.status).toBe(401);
      expect(error.errors[0]?.code).toBe('clerk_key_invalid');
      expect((await fetch(`${standIn.url}/v1/jwks`)).status).toBe(401);
    });

    it('returns users with their primary email', async () => {
      const alice = await clerk.users.getUser('user_alice');
      expect(alice.primaryEmailAddress?.emailAddress).toBe('alice@example.com');
      expect(alice.primaryEmailAddress?.verification?.status).toBe('verified');
      expect(alice).toMatchObject({ firstName: 'Alice', username: 'alice', imageUrl: standIn.defaultUser.imageUrl });

      standIn.addUser({
        id: 'user_bob',
        firstName: 'Bob',
        lastName: null,
        username: null,
        imageUrl: 'https://img.example.com/bob.png',
        emailAddresses: [{ id: 'idn_bob', emailAddress: 'bob@example.com', verified: false }],
        primaryEmailAddressId: 'idn_bob',
      });
      const bob = await clerk.users.getUser('user_bob');
      expect(bob.primaryEmailAddress?.verification?.status).toBe('unverified');
      expect(bob.lastName).toBeNull();
      expect(((await rejection(clerk.users.getUser('user_nobody'))) as ClerkApiError).status).toBe(404);
    });

    it('lets the SDK verify a JWT access token locally with the BAPI JWKS', async () => {
      const jwt = await standIn.mintJwt({ scopes: ['email'], scopeClaim: 'scp', aud: 'https://mcp.example.com/mcp' });
      standIn.resetHits();
      const result = await verifyMachineAuthToken(jwt, { secretKey: standIn.secretKey, apiUrl: standIn.url });
      expect(result.errors).toBeUndefined();
      expect(result.data).toMatchObject({
        subject: 'user_alice',
        scopes: ['email'],
        aud: ['https://mcp.example.com/mcp'],
      });
      expect(standIn.hits('bapiJwks')).toBe(1);
      expect(standIn.hits('verify')).toBe(0);

      const request = new Request('http://localhost/mcp', {
        headers: { Authorization: `Bearer ${await standIn.mintJwt()}` },
      });
      const auth = (await clerk.authenticateRequest(request, { acceptsToken: 'oauth_token' })).toAuth();
      expect(auth).toMatchObject({
        isAuthenticated: true,
        tokenType: 'oauth_token',
        userId: 'user_alice',
        scopes: ['profile', 'email'],
      });
    });
  });

  describe('JWTs and FAPI JWKS', () => {
    it('mints RS256 at+jwt tokens that verify against /.well-known/jwks.json, and foreign-key tokens that do not', async () => {
      const jwks = createRemoteJWKSet(new URL(`${standIn.url}/.well-known/jwks.json`));
      const jwt = await standIn.mintJwt({ clientId: 'client_x', aud: 'https://mcp.example.com/mcp' });
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
        issuer: standIn.issuer,
        audience: 'https://mcp.example.com/mcp',
        typ: 'at+jwt',
      });
      expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: standIn.currentKid });
      expect(payload).toMatchObject({ sub: 'user_alice', client_id: 'client_x', scope: 'profile email' });
      expect(payload.jti).toEqual(expect.any(String));
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
      expect(decodeJwt(await standIn.mintJwt()).aud).toBeUndefined();

      const foreign = await standIn.mintJwt({ signWithForeignKey: true });
      expect(decodeProtectedHeader(foreign).kid).toBe(standIn.currentKid);
      await expect(jwtVerify(foreign, jwks)).rejects.toThrow(/signature/);
      await expect(jwtVerify(await standIn.mintJwt({ expiresInSeconds: -60 }), jwks)).rejects.toThrow(/exp/);
      await expect(jwtVerify(await standIn.mintJwt({ kid: 'ins_unknown' }), jwks)).rejects.toThrow(/key/);
      await expect(jwtVerify(await standIn.mintJwt({ alg: 'HS256' }), jwks)).rejects.toThrow();
      const unsigned = await standIn.mintJwt({ alg: 'none', typ: 'JWT', omitClaims: ['exp'] });
      expect(unsigned.endsWith('.')).toBe(true);
      expect(decodeProtectedHeader(unsigned)).toMatchObject({ alg: 'none', typ: 'JWT' });
      expect(decodeJwt(unsigned).exp).toBeUndefined();
    });

    it('rotates keys: new kid, JWKS serve only the new key', async () => {
      const before = standIn.currentKid;
      await standIn.rotateKeys();
      expect(standIn.currentKid).not.toBe(before);
      const published = (await (await fetch(`${standIn.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string; kty: string; alg: string; e: string }[];
      };
      expect(published.keys).toEqual([
        expect.objectContaining({ kid: standIn.currentKid, kty: 'RSA', alg: 'RS256', e: 'AQAB', use: 'sig' }),
      ]);
      const bapi = await fetch(`${standIn.url}/v1/jwks`, { headers: { Authorization: `Bearer ${standIn.secretKey}` } });
      expect(bapi.headers.get('content-type')).toBe('application/json');
      expect(await bapi.json()).toEqual(published);
      await expect(
        jwtVerify(await standIn.mintJwt(), createRemoteJWKSet(new URL(`${standIn.url}/.well-known/jwks.json`))),
      ).resolves.toBeDefined();
    });
  });

  describe('discovery documents', () => {
    it('serves both documents with the issuer, S256 and DCR', async () => {
      for (const kind of ['oauth-authorization-server', 'openid-configuration']) {
        const response = await fetch(`${standIn.url}/.well-known/${kind}`);
        expect(response.headers.get('content-type')).toBe('application/json');
        const document = (await response.json()) as Record<string, unknown>;
        expect(document).toMatchObject({
          issuer: standIn.issuer,
          authorization_endpoint: `${standIn.url}/oauth/authorize`,
          token_endpoint: `${standIn.url}/oauth/token`,
          registration_endpoint: `${standIn.url}/oauth/register`,
          jwks_uri: `${standIn.url}/.well-known/jwks.json`,
          code_challenge_methods_supported: ['S256'],
        });
        expect(document.scopes_supported).toEqual(
          expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']),
        );
      }
      expect(standIn.hits('asMetadata')).toBeGreaterThan(0);
      expect(standIn.hits('oidcConfiguration')).toBeGreaterThan(0);
    });

    it('applies and clears metadata overrides', async () => {
      standIn.setMetadataOverrides({ issuer: 'https://evil.example.com' }, { remove: ['registration_endpoint'] });
      const document = (await (await fetch(`${standIn.url}/.well-known/oauth-authorization-server`)).json()) as Record<
        string,
        unknown
      >;
      expect(document.issuer).toBe('https://evil.example.com');
      expect(document).not.toHaveProperty('registration_endpoint');
      standIn.setMetadataOverrides({});
      expect(
        ((await (await fetch(`${standIn.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>)
          .issuer,
      ).toBe(standIn.issuer);
    });

    it('answers unknown routes with 404 ClerkErrors', async () => {
      const response = await fetch(`${standIn.url}/v1/nothing-here`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(((await response.json()) as ClerkApiError).errors[0]?.code).toBe('resource_not_found');
    });
  });

  describe('faults', () => {
    it('down destroys the connection, nonJson answers text/html, error500 answers ClerkErrors', async () => {
      standIn.setFault('down');
      await expect(fetch(`${standIn.url}/.well-known/oauth-authorization-server`)).rejects.toThrow();
      standIn.setFault('nonJson', { scope: 'fapi' });
      const html = await fetch(`${standIn.url}/.well-known/oauth-authorization-server`);
      expect(html.status).toBe(200);
      expect(html.headers.get('content-type')).toBe('text/html');
      standIn.setFault('error500', { scope: 'bapi' });
      expect(
        ((await rejection(clerk.idPOAuthAccessToken.verify(standIn.mintOpaqueToken()))) as ClerkApiError).status,
      ).toBe(500);
      expect((await fetch(`${standIn.url}/.well-known/jwks.json`)).status).toBe(200); // a bapi fault leaves fapi alone
      standIn.setFault(null);
      expect((await fetch(`${standIn.url}/.well-known/oauth-authorization-server`)).status).toBe(200);
    });

    it('slow delays the answer', async () => {
      standIn.setFault('slow', { delayMs: 300 });
      const started = Date.now();
      expect((await fetch(`${standIn.url}/.well-known/jwks.json`)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      const aborted = fetch(`${standIn.url}/.well-known/jwks.json`, { signal: AbortSignal.timeout(50) });
      await expect(aborted).rejects.toThrow();
    });

    it('close() does not wait for a slow answer or keep-alive sockets', async () => {
      const other = await ClerkStandIn.start();
      expect((await fetch(`${other.url}/.well-known/jwks.json`)).status).toBe(200); // leaves a keep-alive socket
      other.setFault('slow', { delayMs: 5000 });
      const pending = fetch(`${other.url}/.well-known/jwks.json`).catch((error: unknown) => error);
      await other.whenHits('fapiJwks', 2); // the slow request has arrived
      const started = Date.now();
      await other.close();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await pending).toMatchObject({ name: 'TypeError' }); // undici's "fetch failed", from another realm than jest's Error
    });
  });

  describe('OAuth dance (DCR, authorize with PKCE, token)', () => {
    const redirectUri = 'http://127.0.0.1:9/callback';
    const resource = 'https://mcp.example.com/mcp';

    async function register(body: Record<string, unknown>): Promise<Response> {
      return fetch(`${standIn.url}/oauth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    }

    async function authorize(params: Record<string, string>): Promise<URL> {
      const response = await fetch(`${standIn.url}/oauth/authorize?${new URLSearchParams(params).toString()}`, {
        redirect: 'manual',
      });
      expect(response.status).toBe(302);
      return new URL(response.headers.get('location') ?? '');
    }

    async function token(params: Record<string, string>): Promise<Response> {
      return fetch(`${standIn.url}/oauth/token`, { method: 'POST', body: new URLSearchParams(params) });
    }

    const pkce = (): { verifier: string; challenge: string } => {
      const verifier = randomBytes(32).toString('base64url');
      return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
    };

    it('registers a public client, auto-consents and issues an at+jwt bound to the resource', async () => {
      const registered = await register({
        client_name: 'MCP client',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
      });
      expect(registered.status).toBe(201);
      expect(registered.headers.get('content-type')).toBe('application/json');
      const client = (await registered.json()) as { client_id: string; scope: string; client_secret?: string };
      expect(client.scope).toBe('profile email');
      expect(client.client_secret).toBeUndefined();

      const { verifier, challenge } = pkce();
      const common = {
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      };
      const refused = await authorize({ ...common, scope: 'openid profile', state: 'state-123' });
      expect(refused.searchParams.get('error')).toBe('invalid_scope');
      expect(refused.searchParams.get('state')).toBe('state-123');

      const callback = await authorize({ ...common, state: 'state-456', resource });
      expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
      expect(callback.searchParams.get('state')).toBe('state-456');
      const code = callback.searchParams.get('code') ?? '';

      const base = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: client.client_id };
      const response = await token({ ...base, code_verifier: verifier, resource });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const issued = (await response.json()) as {
        access_token: string;
        token_type: string;
        expires_in: number;
        refresh_token: string;
        scope: string;
      };
      expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 86400, scope: 'profile email' });
      const { payload, protectedHeader } = await jwtVerify(
        issued.access_token,
        createRemoteJWKSet(new URL(`${standIn.url}/.well-known/jwks.json`)),
        {
          issuer: standIn.issuer,
          audience: resource,
        },
      );
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(payload).toMatchObject({
        sub: 'user_alice',
        client_id: client.client_id,
        scope: 'profile email',
        aud: resource,
      });
      expect((await token({ ...base, code_verifier: verifier })).status).toBe(400); // codes are single use

      const refreshed = await token({
        grant_type: 'refresh_token',
        refresh_token: issued.refresh_token,
        client_id: client.client_id,
      });
      expect(refreshed.status).toBe(200);
      expect(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token).aud).toBe(resource);
      expect(standIn.hits('register')).toBeGreaterThan(0);
      expect(standIn.hits('authorize')).toBeGreaterThan(0);
      expect(standIn.hits('token')).toBeGreaterThan(0);
    });

    it('rejects a wrong PKCE verifier, requires S256 and omits aud without resource', async () => {
      const client = (await (
        await register({
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'none',
          scope: 'openid profile email',
        })
      ).json()) as { client_id: string };
      const { verifier, challenge } = pkce();
      const plain = await authorize({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: redirectUri,
        code_challenge: verifier,
        code_challenge_method: 'plain',
      });
      expect(plain.searchParams.get('error')).toBe('invalid_request');

      const params = {
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scope: 'openid email',
      };
      const wrongCode = (await authorize(params)).searchParams.get('code') ?? '';
      const wrong = await token({
        grant_type: 'authorization_code',
        code: wrongCode,
        redirect_uri: redirectUri,
        client_id: client.client_id,
        code_verifier: pkce().verifier,
      });
      expect(wrong.status).toBe(400);
      expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');

      const code = (await authorize(params)).searchParams.get('code') ?? '';
      const issued = (await (
        await token({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: client.client_id,
          code_verifier: verifier,
        })
      ).json()) as { access_token: string; scope: string; id_token?: string };
      expect(issued.scope).toBe('openid email');
      expect(decodeJwt(issued.access_token).aud).toBeUndefined();
      expect(decodeJwt(issued.id_token ?? '')).toMatchObject({ aud: client.client_id, email: 'alice@example.com' });
    });

    it('issues opaque tokens the SDK verifies when the token format is opaque, with a confidential client', async () => {
      expect((await register({ client_name: 'no redirect' })).status).toBe(400);
      const client = (await (await register({ redirect_uris: [redirectUri] })).json()) as {
        client_id: string;
        client_secret: string;
      };
      standIn.setTokenFormat('opaque');
      const { verifier, challenge } = pkce();
      const code =
        (
          await authorize({
            response_type: 'code',
            client_id: client.client_id,
            redirect_uri: redirectUri,
            code_challenge: challenge,
            code_challenge_method: 'S256',
            resource,
          })
        ).searchParams.get('code') ?? '';
      const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
      const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
      const response = await fetch(`${standIn.url}/oauth/token`, {
        method: 'POST',
        headers: { Authorization: basic },
        body: new URLSearchParams(form),
      });
      const issued = (await response.json()) as { access_token: string };
      expect(issued.access_token).toMatch(/^oat_[0-9a-f]{32}$/);
      expect(await clerk.idPOAuthAccessToken.verify(issued.access_token)).toMatchObject({
        clientId: client.client_id,
        subject: 'user_alice',
        aud: [resource],
      });
    });
  });
});
