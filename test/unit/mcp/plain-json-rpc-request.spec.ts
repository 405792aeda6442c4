import { describe, expect, it } from '@jest/globals';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { isJSONRPCRequest } from '@modelcontextprotocol/server';
import { isPlainJsonRpcRequest } from '../../../src/mcp/plain-json-rpc-request.js';
import { bodies } from '../../support/json-rpc-corpus.js';

describe('plain JSON-RPC requests', () => {
  it('are requests to both SDKs, and pass SDK 1.x message schema unchanged', () => {
    let plain = 0;
    for (const body of bodies()) {
      if (!isPlainJsonRpcRequest(body)) continue;
      plain += 1;
      expect(isJSONRPCRequest(body)).toBe(true);
      const parsed = JSONRPCMessageSchema.safeParse(body);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toStrictEqual(body);
    }
    expect(plain).toBeGreaterThan(50);
  });

  it('leave out _meta, stray members, other versions and ids the schemas refuse', () => {
    const request = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    expect(isPlainJsonRpcRequest(request)).toBe(true);
    expect(isPlainJsonRpcRequest({ ...request, params: { _meta: {} } })).toBe(false);
    expect(isPlainJsonRpcRequest({ ...request, result: {} })).toBe(false);
    expect(isPlainJsonRpcRequest({ ...request, jsonrpc: '1.0' })).toBe(false);
    expect(isPlainJsonRpcRequest({ ...request, id: 1.5 })).toBe(false);
    expect(isPlainJsonRpcRequest({ ...request, id: null })).toBe(false);
    expect(isPlainJsonRpcRequest({ ...request, params: [] })).toBe(false);
    expect(isPlainJsonRpcRequest([request])).toBe(false);
  });
});
