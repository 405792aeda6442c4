import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ErrorCode, McpError, type CallToolResult, type ListToolsResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { UpstreamUnavailableError } from '../errors/errors.js';
import { McpToolMetadata, type McpToolHandler, type McpToolOptions, type ToolContext } from './mcp-tool.js';

interface RegisteredTool {
  options: McpToolOptions;
  handler: McpToolHandler;
  validate: JsonSchemaValidator<Record<string, unknown>>;
}

const errorResult = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/**
 * Every tool in the application, discovered once at start with its argument validator compiled
 * once, so a request costs a map lookup and a validation call, not a schema compilation.
 */
@Injectable()
export class ToolRegistry implements OnModuleInit {
  private readonly logger = new Logger(ToolRegistry.name);
  private readonly tools = new Map<string, RegisteredTool>();
  private listResult: ListToolsResult = { tools: [] };

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const validator = new AjvJsonSchemaValidator();
    for (const wrapper of this.discovery.getProviders({ metadataKey: McpToolMetadata.KEY })) {
      const options = this.discovery.getMetadataByDecorator(McpToolMetadata, wrapper);
      const handler = wrapper.instance as McpToolHandler | undefined;
      if (!options || !handler || typeof handler.execute !== 'function') continue;
      if (this.tools.has(options.name)) throw new Error(`Two tools are named "${options.name}"; tool names must be unique.`);
      this.tools.set(options.name, {
        options,
        handler,
        validate: validator.getValidator<Record<string, unknown>>(options.inputSchema as JsonSchemaType),
      });
    }
    const tools: Tool[] = [...this.tools.values()].map(({ options }) => ({
      name: options.name,
      ...(options.title ? { title: options.title } : {}),
      description: options.description,
      inputSchema: options.inputSchema,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    }));
    this.listResult = Object.freeze({ tools });
    this.logger.log(`Serving ${tools.length} tools: ${[...this.tools.keys()].join(', ')}`);
  }

  list(): ListToolsResult {
    return this.listResult;
  }

  requiredScopes(toolName: string): readonly string[] {
    return this.tools.get(toolName)?.options.requiredScopes ?? [];
  }

  async call(name: string, args: Record<string, unknown> | undefined, context: ToolContext): Promise<CallToolResult> {
    const tool = this.tools.get(name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const missing = (tool.options.requiredScopes ?? []).filter((scope) => !context.identity.scopes.includes(scope));
    if (missing.length > 0) return errorResult(`This tool needs the scopes: ${missing.join(' ')}.`);
    const input = args ?? {};
    const validation = tool.validate(input);
    if (!validation.valid) return errorResult(`Invalid arguments for ${name}: ${validation.errorMessage ?? 'they do not match the input schema'}`);
    try {
      return await tool.handler.execute(validation.data, context);
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) return errorResult(`${error.upstream} is unavailable right now; try again shortly.`);
      this.logger.error(`Tool ${name} failed`, error instanceof Error ? error.stack : String(error));
      return errorResult(`The tool ${name} failed unexpectedly.`);
    }
  }
}
