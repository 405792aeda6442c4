// A tiny OIDC issuer for the benchmark: node:http + jose, RS256, on 127.0.0.1.
// It serves the two discovery documents the app looks for and the key set, and mints access
// tokens locally (no token endpoint traffic during the measurement).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const JSON_TYPE = 'application/json';

export class BenchIssuer {
  /** @type {string[]} paths asked for, to show how often the app went back to the issuer */
  requests = [];

  constructor(server, issuer, privateKey, kid) {
    this.server = server;
    this.issuer = issuer;
    this.privateKey = privateKey;
    this.kid = kid;
  }

  static async start() {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const kid = randomUUID();
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
    let metadata = '';
    let instance;
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://issuer').pathname;
      instance.requests.push(path);
      let body;
      if (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration')
        body = metadata;
      else if (path === '/jwks.json') body = jwks;
      if (body === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'Content-Type': JSON_TYPE }).end('{"error":"not_found"}');
        return;
      }
      response.writeHead(200, {
        'Content-Type': JSON_TYPE,
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'max-age=300',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const issuer = `http://127.0.0.1:${server.address().port}`;
    metadata = JSON.stringify({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      // Never called by the bench, but advertised as a real issuer would, so the product's own
      // configuration check (registration, public clients) finds it ready.
      registration_endpoint: `${issuer}/register`,
      token_endpoint_auth_methods_supported: ['none'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      scopes_supported: ['openid', 'profile', 'email'],
      jwks_uri: `${issuer}/jwks.json`,
    });
    instance = new BenchIssuer(server, issuer, privateKey, kid);
    return instance;
  }

  /** An RFC 9068 access token for `audience`, valid for an hour. */
  mintAccessToken({ audience, subject = 'user_bench', clientId = 'bench-client', scope = 'profile email' }) {
    return new SignJWT({ scope, client_id: clientId })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: this.kid })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setAudience(audience)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime('1h')
      .sign(this.privateKey);
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}
