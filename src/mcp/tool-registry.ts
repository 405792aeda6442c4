import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DiscoveryService } from '@nestjs/core';
import { ErrorCode, type CallToolResult, type ListToolsResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { formatBearerChallenge } from '../auth/bearer-challenge.js';
import type { Caller } from '../auth/caller.js';
import { mcpConfig, serverConfig } from '../config/namespaces.js';
import { UpstreamUnavailableError } from '../errors/errors.js';
import { Metrics, UNKNOWN_TOOL, type ToolOutcome } from '../metrics/metrics.js';
import { stopwatch } from '../metrics/stopwatch.js';
import { McpToolMetadata, type McpToolHandler, type McpToolOptions, type SecurityScheme } from './mcp-tool.js';
import { ScopePolicy } from './scope-policy.js';
import type { ToolAccess } from './tool-access.js';

interface RegisteredTool {
  options: McpToolOptions;
  schemes: readonly SecurityScheme[];
  allowsAnonymous: boolean;
  /** Scopes the oauth2 scheme asks for; empty when signing in is enough. */
  scopes: readonly string[];
  /** What a challenge for this tool asks for, worked out once: it depends on configuration only. */
  challengeScopes: readonly string[];
  handler: McpToolHandler;
  validate: JsonSchemaValidator<Record<string, unknown>>;
  descriptor: Tool;
}

const DEFAULT_SCHEMES: readonly SecurityScheme[] = [{ type: 'oauth2' }];

const errorResult = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/**
 * Access decisions the HTTP layer's {@link ToolAccessGuard} made before the SDK ran, by tool name, kept
 * on the caller they were made for so that {@link ToolRegistry.call} reuses them instead of deciding
 * again: one decision per call. A signed-in caller lives as long as its request; on the caller itself,
 * like a request's route pattern, they cost less than an entry in a WeakMap keyed by every caller.
 */
const DECISIONS = Symbol('toolAccessDecisions');
type DecidedCaller = Caller & { [DECISIONS]?: Map<string, ToolAccess> };

/**
 * A JSON-RPC error both SDKs put on the wire as it is: they send a thrown error's `code` and
 * `message`. SDK 1.x's McpError would bake "MCP error -32602: " into the message, and clients add
 * that prefix again when they turn the answer back into an error.
 */
class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'JsonRpcError';
  }
}

/**
 * Every tool in the application, discovered once at start with its argument validator compiled
 * and its descriptor built once, so a request costs a map lookup and a validation call. It also
 * decides who may call what, the same way for tools/list, tools/call and the HTTP scope check.
 */
@Injectable()
export class ToolRegistry implements OnModuleInit {
  private readonly logger = new Logger(ToolRegistry.name);
  private readonly tools = new Map<string, RegisteredTool>();
  private listResult: ListToolsResult = { tools: [] };

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scopes: ScopePolicy,
    @Inject(mcpConfig.KEY) private readonly mcp: ConfigType<typeof mcpConfig>,
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const validator = new AjvJsonSchemaValidator();
    for (const wrapper of this.discovery.getProviders({ metadataKey: McpToolMetadata.KEY })) {
      const options = this.discovery.getMetadataByDecorator(McpToolMetadata, wrapper);
      const handler = wrapper.instance as McpToolHandler | undefined;
      if (!options || !handler || typeof handler.execute !== 'function') continue;
      if (this.tools.has(options.name))
        throw new Error(`Two tools are named "${options.name}"; tool names must be unique.`);
      const schemes = options.securitySchemes?.length ? options.securitySchemes : DEFAULT_SCHEMES;
      const oauth2 = schemes.find((scheme) => scheme.type === 'oauth2');
      const scopes = oauth2?.type === 'oauth2' ? (oauth2.scopes ?? []) : [];
      this.tools.set(options.name, {
        options,
        schemes,
        allowsAnonymous: schemes.some((scheme) => scheme.type === 'noauth'),
        scopes,
        challengeScopes: Object.freeze(this.scopes.challengeScopes(scopes)),
        handler,
        validate: validator.getValidator<Record<string, unknown>>(options.inputSchema),
        descriptor: describe(options, schemes),
      });
    }
    this.listResult = Object.freeze({ tools: [...this.tools.values()].map((tool) => tool.descriptor) });
    this.logger.log(`Serving ${this.tools.size} tools: ${[...this.tools.keys()].join(', ')}`);
  }

  /**
   * Every tool with its security schemes, so clients can offer sign-in; or, if configured, only those
   * the caller may call.
   */
  list(caller: Caller): ListToolsResult {
    if (!this.mcp.hideUnauthorizedTools) return this.listResult;
    return {
      tools: [...this.tools.values()]
        .filter((tool) => this.access(tool, caller).allowed)
        .map((tool) => tool.descriptor),
    };
  }

  /** For the HTTP layer: the access decision for a named tool, kept for the call; undefined for an unknown tool. */
  accessTo(toolName: string, caller: Caller): ToolAccess | undefined {
    const tool = this.tools.get(toolName);
    if (!tool) return undefined;
    const access = this.access(tool, caller);
    ((caller as DecidedCaller)[DECISIONS] ??= new Map<string, ToolAccess>()).set(toolName, access);
    return access;
  }

  async call(
    name: string,
    args: Record<string, unknown> | undefined,
    caller: Caller,
    signal: AbortSignal,
  ): Promise<CallToolResult> {
    const elapsed = stopwatch();
    const counted = (outcome: ToolOutcome, result: CallToolResult): CallToolResult => {
      this.metrics.toolCall(name, outcome, elapsed());
      return result;
    };
    const tool = this.tools.get(name);
    if (!tool) {
      this.metrics.toolCall(UNKNOWN_TOOL, 'unknown_tool', 0);
      throw new JsonRpcError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
    const access = (caller as DecidedCaller)[DECISIONS]?.get(name) ?? this.access(tool, caller);
    if (!access.allowed) return counted('access_denied', this.challengeResult(access));
    const validation = tool.validate(args ?? {});
    if (!validation.valid)
      return counted(
        'invalid_arguments',
        errorResult(
          `Invalid arguments for ${name}: ${validation.errorMessage ?? 'they do not match the input schema'}`,
        ),
      );
    try {
      const result = await tool.handler.execute(validation.data, { identity: access.identity, signal });
      return counted(result.isError ? 'error' : 'success', result);
    } catch (error) {
      if (error instanceof UpstreamUnavailableError)
        return counted(
          'upstream_unavailable',
          errorResult(`${error.upstream} is unavailable right now; try again shortly.`),
        );
      this.logger.error(`Tool ${name} failed`, error instanceof Error ? error.stack : String(error));
      return counted('failed', errorResult(`The tool ${name} failed unexpectedly.`));
    }
  }

  private access(tool: RegisteredTool, caller: Caller): ToolAccess {
    const identity = caller.identity;
    if (tool.allowsAnonymous) return { allowed: true, identity };
    const scopes = tool.challengeScopes;
    if (!identity) {
      return caller.anonymous === 'expired'
        ? {
            allowed: false,
            error: 'invalid_token',
            description: 'The access token has expired; sign in again.',
            scopes,
            signedIn: false,
          }
        : {
            allowed: false,
            error: 'insufficient_scope',
            description: `Sign in to use ${tool.options.name}.`,
            scopes,
            signedIn: false,
          };
    }
    const missing = this.scopes.missing(tool.scopes, identity.scopes);
    if (missing.length === 0) return { allowed: true, identity };
    return {
      allowed: false,
      error: 'insufficient_scope',
      description: `${tool.options.name} needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}.`,
      scopes,
      signedIn: true,
    };
  }

  /** The tool-level challenge ChatGPT turns into its sign-in or step-up prompt (Apps SDK `mcp/www_authenticate`). */
  private challengeResult(access: Extract<ToolAccess, { allowed: false }>): CallToolResult {
    const challenge = formatBearerChallenge({
      resourceMetadataUrl: this.server.resourceMetadataUrl,
      scopes: access.scopes,
      error: access.error,
      errorDescription: access.description,
    });
    return { ...errorResult(access.description), _meta: { 'mcp/www_authenticate': [challenge] } };
  }
}

/** A tool descriptor with the Apps SDK's `securitySchemes`, which the MCP schema does not name yet (SEP-1488). */
type SecuredTool = Tool & { securitySchemes: SecurityScheme[] };

function describe(options: McpToolOptions, schemes: readonly SecurityScheme[]): SecuredTool {
  const securitySchemes = schemes.map((scheme) => ({ ...scheme }));
  return {
    name: options.name,
    ...(options.title ? { title: options.title } : {}),
    description: options.description,
    inputSchema: options.inputSchema,
    ...(options.annotations ? { annotations: options.annotations } : {}),
    // ChatGPT reads the top-level field; `_meta` mirrors it for clients whose SDKs drop unknown fields.
    securitySchemes,
    _meta: { securitySchemes },
  };
}
