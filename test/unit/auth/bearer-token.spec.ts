import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { extractBearerToken } from '../../../src/auth/bearer-token.js';
import { BearerChallengeError } from '../../../src/errors/errors.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl';

/** How often the extraction read the query and the headers of a {@link FakeRequest}. */
interface Reads {
  query: number;
  rawHeaders: number;
}

/**
 * An Express request as the extraction reads it: its query parsed from the URL on every read, as
 * Express 5 parses it, and counted, as are the reads of its raw headers.
 */
function fakeRequest(
  url: string,
  headers: Record<string, string> = {},
  body?: unknown,
): { request: Request; reads: Reads; setBody: (body: unknown) => void } {
  const reads: Reads = { query: 0, rawHeaders: 0 };
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const state = { body };
  const request = {
    url,
    headers: lowerCased,
    get body(): unknown {
      return state.body;
    },
    get query(): Record<string, string> {
      reads.query += 1;
      return Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? ''));
    },
    get rawHeaders(): string[] {
      reads.rawHeaders += 1;
      return Object.entries(headers).flat();
    },
    is: (type: string) => (lowerCased['content-type'] === type ? type : false),
  };
  return { request: request as unknown as Request, reads, setBody: (value) => (state.body = value) };
}

function refusalOf(request: Request): unknown {
  try {
    extractBearerToken(request);
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('extractBearerToken', () => {
  it('reads the token from the Authorization header once, and answers again from what it kept', () => {
    const { request, reads } = fakeRequest('/mcp', { Authorization: `Bearer ${TOKEN}` });
    expect(extractBearerToken(request)).toBe(TOKEN);
    expect(extractBearerToken(request)).toBe(TOKEN);
    expect(reads.rawHeaders).toBe(1);
  });

  it('keeps "no credentials" too, and a refusal, which it throws again', () => {
    const anonymous = fakeRequest('/mcp');
    expect(extractBearerToken(anonymous.request)).toBeUndefined();
    expect(extractBearerToken(anonymous.request)).toBeUndefined();
    expect(anonymous.reads.rawHeaders).toBe(1);
    const malformed = fakeRequest('/mcp', { Authorization: 'Bearer a b' });
    const refusal = refusalOf(malformed.request);
    expect(refusal).toBeInstanceOf(BearerChallengeError);
    expect(refusal).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(refusalOf(malformed.request)).toBe(refusal);
    expect(malformed.reads.rawHeaders).toBe(1);
  });

  it('never parses a query that cannot name access_token', () => {
    for (const url of ['/mcp', '/mcp?', '/mcp?session=1&token=2', '/mcp?x=access-token']) {
      const { request, reads } = fakeRequest(url, { Authorization: `Bearer ${TOKEN}` });
      expect(extractBearerToken(request)).toBe(TOKEN);
      expect(reads.query).toBe(0);
    }
  });

  it.each(['/mcp?access_token=abc', '/mcp?x=1&access%5Ftoken=abc', '/mcp?%61ccess_token=abc'])(
    'refuses a token in the query, %s, with 400 invalid_request',
    (url) => {
      const { request } = fakeRequest(url, { Authorization: `Bearer ${TOKEN}` });
      expect(refusalOf(request)).toMatchObject({ status: 400, code: 'invalid_request' });
    },
  );

  it('lets a query through that only mentions access_token in a value', () => {
    const { request, reads } = fakeRequest('/mcp?note=access_token%20is%20refused', {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(extractBearerToken(request)).toBe(TOKEN);
    expect(reads.query).toBe(1);
  });

  describe('a form body', () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${TOKEN}` };

    it('refuses an access_token in a parsed form body', () => {
      const { request } = fakeRequest('/mcp', form, { access_token: TOKEN });
      expect(refusalOf(request)).toMatchObject({ status: 400, code: 'invalid_request' });
    });

    it('keeps no answer for a form whose body is not parsed yet: the token in it is still refused later', () => {
      const { request, setBody } = fakeRequest('/mcp', form);
      expect(extractBearerToken(request)).toBe(TOKEN);
      setBody({ access_token: TOKEN });
      expect(refusalOf(request)).toMatchObject({ status: 400, code: 'invalid_request' });
    });

    it('keeps the answer once the form body is parsed', () => {
      const { request, reads } = fakeRequest('/mcp', form, { name: 'value' });
      expect(extractBearerToken(request)).toBe(TOKEN);
      expect(extractBearerToken(request)).toBe(TOKEN);
      expect(reads.rawHeaders).toBe(1);
    });

    it('does not take an access_token member of a JSON body for a form token', () => {
      const { request } = fakeRequest(
        '/mcp',
        { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
        {
          access_token: 'in a JSON-RPC body',
        },
      );
      expect(extractBearerToken(request)).toBe(TOKEN);
    });
  });
});
