import { describe, expect, it } from '@jest/globals';
import { isAllowed } from './allow-list.js';

describe('isAllowed', () => {
  it('matches exact entries without regard to case, and :* on any port', () => {
    const list = ['https://chatgpt.com', 'http://localhost:*', 'mcp.example.com'];
    expect(isAllowed('https://ChatGPT.com', list)).toBe(true);
    expect(isAllowed('https://chatgpt.com.evil.net', list)).toBe(false);
    expect(isAllowed('http://localhost:6274', list)).toBe(true);
    expect(isAllowed('http://localhost', list)).toBe(true);
    expect(isAllowed('http://localhost:6274.evil.net', list)).toBe(false);
    expect(isAllowed('http://localhost.evil.net', list)).toBe(false);
    expect(isAllowed('mcp.example.com', list)).toBe(true);
    expect(isAllowed('mcp.example.com:8443', list)).toBe(false);
    expect(isAllowed('anything', '*')).toBe(true);
  });
});
