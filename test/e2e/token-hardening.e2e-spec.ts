import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ClerkStandIn, type StandInFault } from '../support/clerk-stand-in.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ACCEPT = 'application/json, text/event-stream';
const callTool = (name: string): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } });
const post = (server: TestApp, token: string, body = callTool('whoami')): Promise<Response> =>
  fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: ACCEPT, Authorization: `Bearer ${token}` },
    body,
  });


describe('token hardening against the Clerk stand-in', () => {
  let clerk: ClerkStandIn;
  let server: TestApp;

  beforeAll(async () => {
    clerk = await ClerkStandIn.start();
    server = await startTestApp(clerk);
  });
  afterAll(async () => {
    await server.close();
    await clerk.close();
  });
  afterEach(() => clerk.setFault(null));

  describe('garbage from Clerk', () => {
    it('answers 503 with a message that names the problem when Clerk answers garbage or nothing', async () => {
      const token = clerk.mintOpaqueToken();
      const unreadable =
        /^Clerk's answer while trying to verify an OAuth access token could not be read: the body was cut short or was not the JSON Clerk sends\.$/;
      const expected: [StandInFault, RegExp][] = [
        ['nonJson', unreadable],
        ['unexpectedJson', unreadable],
        ['brokenJson', unreadable],
        ['truncated', unreadable],
        ['down', /^No answer came from Clerk while trying to verify an OAuth access token: the connection failed\.$/],
        ['error500', /Clerk answered HTTP 500 /],
      ];
      for (const [fault, message] of expected) {
        clerk.setFault(fault, { scope: 'bapi' });
        const response = await post(server, token);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect(((await response.json()) as { error_description: string }).error_description).toMatch(message);
      }
    });
  });





});
