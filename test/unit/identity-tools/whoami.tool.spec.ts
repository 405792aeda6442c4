import { describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WhoamiTool } from '../../../src/identity-tools/whoami.tool.js';
import type { VerifiedIdentity } from '../../../src/auth/verified-identity.js';
import { identityWith } from '../../support/unit-context.js';

const call = (tool: WhoamiTool, identity: VerifiedIdentity): Promise<CallToolResult> =>
  tool.execute({}, { identity, signal: new AbortController().signal });

/** The JSON text of a result, parsed: what a client reading only `content` sees. */
const textOf = (result: CallToolResult): unknown => {
  const [first] = result.content;
  if (first?.type !== 'text') throw new Error('expected a text content block');
  return JSON.parse(first.text);
};

describe('WhoamiTool', () => {
  it('says who the identity is, the same in text and structured content, on every call', async () => {
    const tool = new WhoamiTool();
    const identity = identityWith({
      userId: 'user_ada',
      clientId: 'client_a',
      scopes: ['email'],
      expiresAt: 2_000_000_000,
    });
    const expected = {
      userId: 'user_ada',
      clientId: 'client_a',
      scopes: ['email'],
      expiresAt: '2033-05-18T03:33:20.000Z',
      tokenKind: 'jwt',
    };
    for (let round = 0; round < 2; round++) {
      const result = await call(tool, identity);
      expect(result.structuredContent).toEqual(expected);
      expect(textOf(result)).toEqual(expected);
    }
  });

  it('answers each identity with its own data, and no expiry as null', async () => {
    const tool = new WhoamiTool();
    await call(tool, identityWith({ userId: 'user_ada', expiresAt: 2_000_000_000 }));
    const other = await call(tool, identityWith({ userId: 'user_bob', scopes: [], expiresAt: null }));
    expect(other.structuredContent).toMatchObject({ userId: 'user_bob', scopes: [], expiresAt: null });
    expect(textOf(other)).toEqual(other.structuredContent);
  });

  it('hands out answers of their own: changing one leaves the identity and later answers as they were', async () => {
    const tool = new WhoamiTool();
    const identity = identityWith({ scopes: ['profile'] });
    const first = await call(tool, identity);
    (first.structuredContent as { scopes: string[] }).scopes.push('admin');
    expect(identity.scopes).toEqual(['profile']);
    expect((await call(tool, identity)).structuredContent).toMatchObject({ scopes: ['profile'] });
  });
});
