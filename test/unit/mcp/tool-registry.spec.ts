import { afterEach, describe, expect, it } from '@jest/globals';
import { DiscoveryModule } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { anonymousCaller, signedInCaller, type Caller } from '../../../src/auth/caller.js';
import type { RawEnvironment } from '../../../src/config/environment.js';
import { UpstreamUnavailableError } from '../../../src/errors/errors.js';
import { McpTool, type McpToolHandler, type ToolContext } from '../../../src/mcp/mcp-tool.js';
import { ScopePolicy } from '../../../src/mcp/scope-policy.js';
import { ToolRegistry } from '../../../src/mcp/tool-registry.js';
import { Metrics } from '../../../src/metrics/metrics.js';
import { MetricsModule } from '../../../src/metrics/metrics.module.js';
import { configModule, identityWith, TEST_BASE_URL } from '../../support/unit-context.js';

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

@McpTool({
  name: 'open_echo',
  description: 'Anyone may call it.',
  inputSchema: { type: 'object', properties: { say: { type: 'string' } }, additionalProperties: false },
  securitySchemes: [{ type: 'noauth' }],
})
class OpenEcho implements McpToolHandler<{ say?: string }> {
  execute(args: { say?: string }, context: ToolContext): Promise<CallToolResult> {
    return Promise.resolve(text(`${args.say ?? ''} from ${context.identity?.userId ?? 'anonymous'}`));
  }
}

@McpTool({
  name: 'mail_count',
  description: 'Needs the email scope and a whole number.',
  inputSchema: {
    type: 'object',
    properties: { limit: { type: 'integer' } },
    required: ['limit'],
    additionalProperties: false,
  },
  securitySchemes: [{ type: 'oauth2', scopes: ['email'] }],
})
class MailCount implements McpToolHandler<{ limit: number }> {
  execute(args: { limit: number }, context: ToolContext): Promise<CallToolResult> {
    return Promise.resolve(text(`${context.identity?.userId ?? 'nobody'} asked for ${args.limit}`));
  }
}

@McpTool({ name: 'upstream_bound', description: 'Its upstream is down.', inputSchema: { type: 'object' } })
class UpstreamBound implements McpToolHandler {
  execute(): Promise<CallToolResult> {
    return Promise.reject(new UpstreamUnavailableError('Clerk', 'Clerk did not answer within 1000 ms.'));
  }
}

@McpTool({ name: 'crashing', description: 'Throws.', inputSchema: { type: 'object' } })
class Crashing implements McpToolHandler {
  execute(): Promise<CallToolResult> {
    return Promise.reject(new Error('secret internal detail'));
  }
}

/** Not a tool: the registry must leave it alone. */
class PlainService {
  execute(): Promise<CallToolResult> {
    return Promise.resolve(text('not a tool'));
  }
}

const TOOLS = [OpenEcho, MailCount, UpstreamBound, Crashing];
const CHALLENGE_BASE = `Bearer resource_metadata="${TEST_BASE_URL}/.well-known/oauth-protected-resource/mcp"`;

let moduleRef: TestingModule | undefined;
afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
});

async function registryWith(env: RawEnvironment = {}, tools: unknown[] = TOOLS): Promise<ToolRegistry> {
  moduleRef = await Test.createTestingModule({
    imports: [await configModule(env), DiscoveryModule, MetricsModule],
    providers: [ToolRegistry, ScopePolicy, PlainService, ...(tools as (new () => unknown)[])],
  }).compile();
  await moduleRef.init();
  return moduleRef.get(ToolRegistry);
}

const signedIn = (scopes: string[]): Caller => signedInCaller(identityWith({ userId: 'user_ada', scopes }), 'token');
const call = (registry: ToolRegistry, name: string, args: Record<string, unknown> | undefined, caller: Caller) =>
  registry.call(name, args, caller, new AbortController().signal);

describe('ToolRegistry', () => {
  describe('discovery', () => {
    it('finds every @McpTool provider, and nothing else, with its security schemes', async () => {
      const registry = await registryWith();
      const { tools } = registry.list(anonymousCaller('no-token'));
      expect(tools.map((tool) => tool.name).sort()).toEqual(['crashing', 'mail_count', 'open_echo', 'upstream_bound']);
      const mailCount = tools.find((tool) => tool.name === 'mail_count') as Record<string, unknown>;
      expect(mailCount).toMatchObject({
        description: 'Needs the email scope and a whole number.',
        inputSchema: { required: ['limit'] },
        securitySchemes: [{ type: 'oauth2', scopes: ['email'] }],
        _meta: { securitySchemes: [{ type: 'oauth2', scopes: ['email'] }] },
      });
      // A tool without schemes needs a signed-in user.
      expect(tools.find((tool) => tool.name === 'crashing')).toMatchObject({ securitySchemes: [{ type: 'oauth2' }] });
    });

    it('refuses two tools with one name', async () => {
      @McpTool({ name: 'open_echo', description: 'A second open_echo.', inputSchema: { type: 'object' } })
      class SecondEcho extends OpenEcho {}
      await expect(registryWith({}, [OpenEcho, SecondEcho])).rejects.toThrow(
        'Two tools are named "open_echo"; tool names must be unique.',
      );
    });
  });

  describe('list', () => {
    it('lists every tool to anyone by default, so clients can offer sign-in', async () => {
      const registry = await registryWith();
      expect(registry.list(anonymousCaller('no-token')).tools).toHaveLength(4);
      expect(registry.list(signedIn([])).tools).toHaveLength(4);
    });

    it('with MCP_HIDE_UNAUTHORIZED_TOOLS, lists only what the caller may call', async () => {
      const registry = await registryWith({ MCP_HIDE_UNAUTHORIZED_TOOLS: 'true' });
      const names = (caller: Caller): string[] =>
        registry
          .list(caller)
          .tools.map((tool) => tool.name)
          .sort();
      expect(names(anonymousCaller('no-token'))).toEqual(['open_echo']);
      expect(names(signedIn(['profile']))).toEqual(['crashing', 'open_echo', 'upstream_bound']);
      expect(names(signedIn(['email']))).toEqual(['crashing', 'mail_count', 'open_echo', 'upstream_bound']);
    });
  });

  describe('call', () => {
    it('reuses the decision the HTTP layer made for this caller, deciding once per call', async () => {
      /** The real policy, counting how often a decision asks it. */
      class CountingScopePolicy extends ScopePolicy {
        asked = 0;
        override missing(required: readonly string[], granted: readonly string[]): string[] {
          this.asked += 1;
          return super.missing(required, granted);
        }
      }
      moduleRef = await Test.createTestingModule({
        imports: [await configModule(), DiscoveryModule, MetricsModule],
        providers: [ToolRegistry, ScopePolicy, MailCount],
      })
        .overrideProvider(ScopePolicy)
        .useClass(CountingScopePolicy)
        .compile();
      await moduleRef.init();
      const registry = moduleRef.get(ToolRegistry);
      const policy = moduleRef.get<CountingScopePolicy>(ScopePolicy);
      const caller = signedIn(['email']);
      expect(registry.accessTo('mail_count', caller)).toMatchObject({ allowed: true });
      expect(await call(registry, 'mail_count', { limit: 3 }, caller)).toEqual(text('user_ada asked for 3'));
      expect(policy.asked).toBe(1);
      // Another request's caller is decided afresh.
      await call(registry, 'mail_count', { limit: 3 }, signedIn(['email']));
      expect(policy.asked).toBe(2);
    });

    it('runs a tool with its validated arguments and the caller’s identity', async () => {
      const registry = await registryWith();
      expect(await call(registry, 'mail_count', { limit: 3 }, signedIn(['email']))).toEqual(
        text('user_ada asked for 3'),
      );
      expect(await call(registry, 'open_echo', { say: 'hi' }, anonymousCaller('no-token'))).toEqual(
        text('hi from anonymous'),
      );
      expect(await call(registry, 'open_echo', undefined, signedIn([]))).toEqual(text(' from user_ada'));
    });

    it('answers an unknown tool with a JSON-RPC invalid-params error, counted under one label', async () => {
      const registry = await registryWith();
      await expect(call(registry, 'no_such_tool', {}, signedIn(['email']))).rejects.toMatchObject({
        code: -32602,
        message: 'Unknown tool: no_such_tool',
      });
      const metrics = await (moduleRef as TestingModule).get(Metrics).render();
      expect(metrics).toContain('mcp_tool_calls_total{tool="(unknown)",outcome="unknown_tool"} 1');
      expect(metrics).not.toContain('no_such_tool');
    });

    it('answers a caller without the scope with a step-up challenge result, without running the tool', async () => {
      const registry = await registryWith();
      const result = await call(registry, 'mail_count', { limit: 3 }, signedIn(['profile']));
      expect(result).toEqual({
        isError: true,
        content: [{ type: 'text', text: 'mail_count needs the scope email.' }],
        _meta: {
          'mcp/www_authenticate': [
            `${CHALLENGE_BASE}, scope="profile email", error="insufficient_scope", ` +
              'error_description="mail_count needs the scope email."',
          ],
        },
      });
    });

    it('asks an anonymous caller to sign in, and one whose token expired to sign in again', async () => {
      const registry = await registryWith();
      const anonymous = await call(registry, 'mail_count', { limit: 3 }, anonymousCaller('no-token'));
      expect(anonymous).toMatchObject({ isError: true, content: [{ text: 'Sign in to use mail_count.' }] });
      expect(anonymous._meta?.['mcp/www_authenticate']).toEqual([
        `${CHALLENGE_BASE}, scope="profile email", error="insufficient_scope", error_description="Sign in to use mail_count."`,
      ]);
      const expired = await call(registry, 'crashing', {}, anonymousCaller('expired'));
      expect(expired._meta?.['mcp/www_authenticate']).toEqual([
        `${CHALLENGE_BASE}, scope="profile email", error="invalid_token", ` +
          'error_description="The access token has expired; sign in again."',
      ]);
    });

    it('answers arguments that do not match the input schema with an error result, without running the tool', async () => {
      const registry = await registryWith();
      for (const args of [{}, { limit: 'three' }, { limit: 3, extra: true }]) {
        const result = await call(registry, 'mail_count', args, signedIn(['email']));
        expect(result.isError).toBe(true);
        expect(result.content).toEqual([
          { type: 'text', text: expect.stringMatching(/^Invalid arguments for mail_count: /) },
        ]);
      }
    });

    it('answers an upstream outage in a tool with a retry hint, and any other failure without its detail', async () => {
      const registry = await registryWith();
      expect(await call(registry, 'upstream_bound', {}, signedIn([]))).toEqual({
        isError: true,
        content: [{ type: 'text', text: 'Clerk is unavailable right now; try again shortly.' }],
      });
      const failed = await call(registry, 'crashing', {}, signedIn([]));
      expect(failed).toEqual({
        isError: true,
        content: [{ type: 'text', text: 'The tool crashing failed unexpectedly.' }],
      });
      expect(JSON.stringify(failed)).not.toContain('secret internal detail');
      const metrics = await (moduleRef as TestingModule).get(Metrics).render();
      expect(metrics).toContain('mcp_tool_calls_total{tool="upstream_bound",outcome="upstream_unavailable"} 1');
      expect(metrics).toContain('mcp_tool_calls_total{tool="crashing",outcome="failed"} 1');
    });
  });
});
