import { beforeAll, describe, expect, it } from '@jest/globals';
import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  BearerChallengeError,
  JsonRpcHttpError,
  NotFoundError,
  NotReadyError,
  UpstreamMetadataError,
  UpstreamUnavailableError,
} from '../../../src/errors/errors.js';
import { HttpErrorFilter } from '../../../src/errors/http-error.filter.js';
import { MetricsModule } from '../../../src/metrics/metrics.module.js';
import { configModule, httpContext, RecordedResponse, requestTo, TEST_BASE_URL } from '../../support/unit-context.js';

const CHALLENGE_BASE = `Bearer resource_metadata="${TEST_BASE_URL}/.well-known/oauth-protected-resource/mcp"`;

describe('HttpErrorFilter', () => {
  let filter: HttpErrorFilter;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [await configModule({ BODY_LIMIT_BYTES: '2048', UPSTREAM_RETRY_AFTER_SECONDS: '7' }), MetricsModule],
      providers: [HttpErrorFilter],
    }).compile();
    filter = moduleRef.get(HttpErrorFilter);
  });

  /** What the filter answers for `error` thrown while serving `method path`. */
  function answer(error: unknown, path = '/mcp', method = 'POST'): RecordedResponse {
    const response = new RecordedResponse();
    filter.catch(error, httpContext(requestTo(path, {}, { method }), response));
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(response.body))));
    return response;
  }

  describe('bearer challenges (RFC 6750)', () => {
    it('no token: 401 with the challenge and no error code', () => {
      const response = answer(BearerChallengeError.missingToken());
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe(`${CHALLENGE_BASE}, scope="profile email"`);
      expect(response.body).toEqual({ error: 'unauthorized', error_description: 'A bearer access token is required.' });
    });

    it('a bad token: 401 invalid_token, described in the header and the body', () => {
      const response = answer(BearerChallengeError.invalidToken('The access token has expired.', 'expired'));
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe(
        `${CHALLENGE_BASE}, scope="profile email", error="invalid_token", error_description="The access token has expired."`,
      );
      expect(response.body).toEqual({ error: 'invalid_token', error_description: 'The access token has expired.' });
    });

    it('a malformed request: 400 invalid_request', () => {
      const response = answer(BearerChallengeError.invalidRequest('Send exactly one Authorization header.'));
      expect(response.statusCode).toBe(400);
      expect(response.headers['www-authenticate']).toContain('error="invalid_request"');
      expect(response.body).toEqual({
        error: 'invalid_request',
        error_description: 'Send exactly one Authorization header.',
      });
    });

    it('a missing scope: 403 insufficient_scope, asking for the scopes the operation needs', () => {
      const response = answer(BearerChallengeError.insufficientScope('get_email needs the scope email.', ['email']));
      expect(response.statusCode).toBe(403);
      expect(response.headers['www-authenticate']).toBe(
        `${CHALLENGE_BASE}, scope="email", error="insufficient_scope", error_description="get_email needs the scope email."`,
      );
      expect(response.body).toEqual({
        error: 'insufficient_scope',
        error_description: 'get_email needs the scope email.',
      });
    });
  });

  it('an unreachable upstream: 503 with Retry-After and no challenge, so the client retries rather than signs in', () => {
    const response = answer(new UpstreamUnavailableError('Clerk', 'Clerk did not answer within 1000 ms.'));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Clerk did not answer within 1000 ms.',
    });
  });

  it('a JSON-RPC refusal: its status and headers, a JSON-RPC error without id', () => {
    const response = answer(new JsonRpcHttpError(405, -32000, 'Method not allowed.', { Allow: 'POST, OPTIONS' }));
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST, OPTIONS');
    expect(response.body).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Method not allowed.' },
      id: null,
    });
  });

  it('not ready: 503 with the health report itself', () => {
    const report = { status: 'error', error: { signing_keys: { status: 'down' } } };
    const response = answer(new NotReadyError(report), '/readyz', 'GET');
    expect(response.statusCode).toBe(503);
    expect(response.body).toEqual(report);
  });

  it('our other errors: their status, with an error code named for it', () => {
    const metadata = answer(new UpstreamMetadataError('The metadata could not be fetched.'), '/.well-known/x', 'GET');
    expect(metadata.statusCode).toBe(502);
    expect(metadata.body).toEqual({ error: 'bad_gateway', error_description: 'The metadata could not be fetched.' });
    const missing = answer(new NotFoundError('No such resource.'), '/.well-known/x', 'GET');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toEqual({ error: 'not_found', error_description: 'No such resource.' });
  });

  describe('framework errors', () => {
    it('elsewhere: their status, in JSON', () => {
      const response = answer(new NotFoundException(), '/no/such/path', 'GET');
      expect(response.statusCode).toBe(404);
      expect(response.body).toEqual({ error: 'not_found', error_description: 'No route for GET /no/such/path' });
    });

    it('on the MCP endpoint: JSON-RPC errors, a parse error for malformed JSON', () => {
      const tooLarge = answer(new PayloadTooLargeException());
      expect(tooLarge.statusCode).toBe(413);
      expect(tooLarge.body).toEqual({
        jsonrpc: '2.0',
        error: { code: -32600, message: 'The request body is larger than 2048 bytes (BODY_LIMIT_BYTES).' },
        id: null,
      });
      const malformed = answer(new BadRequestException('Unexpected end of JSON input'), '/mcp/');
      expect(malformed.statusCode).toBe(400);
      expect(malformed.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
    });
  });

  it('anything else: 500 with a fixed message, never the error or its stack', () => {
    const error = new TypeError('Cannot read properties of undefined (reading "secret_internal")');
    const response = answer(error);
    expect(response.statusCode).toBe(500);
    expect(response.body).toEqual({
      error: 'server_error',
      error_description: 'The server could not complete the request.',
    });
    expect(JSON.stringify(response.body)).not.toContain('secret_internal');
    expect(JSON.stringify(response.headers)).not.toContain('secret_internal');
  });

  it('after the headers went out, only ends the response', () => {
    const response = new RecordedResponse();
    response.headersSent = true;
    filter.catch(BearerChallengeError.missingToken(), httpContext(requestTo('/mcp'), response));
    expect(response.ended).toBe(true);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({});
  });
});
