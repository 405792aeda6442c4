import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { VerifiedIdentity } from '../auth/verified-identity.js';

/** A JSON Schema for a tool's arguments: always an object at the top, as MCP requires. */
export interface ToolInputSchema {
  type: 'object';
  properties?: Record<string, object>;
  required?: string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

export interface McpToolOptions {
  name: string;
  title?: string;
  description: string;
  inputSchema: ToolInputSchema;
  /** Scopes the caller's token must carry; a call without them gets `403 insufficient_scope`. */
  requiredScopes?: readonly string[];
  annotations?: ToolAnnotations;
}

/** What a tool knows about its call: who is calling, and a signal that fires if the client goes away. */
export interface ToolContext {
  identity: VerifiedIdentity;
  signal: AbortSignal;
}

/** The one method a tool class implements. Arguments arrive already validated against the input schema. */
export interface McpToolHandler<Arguments = Record<string, unknown>> {
  execute(args: Arguments, context: ToolContext): Promise<CallToolResult>;
}

export const McpToolMetadata = DiscoveryService.createDecorator<McpToolOptions>();

/**
 * Marks an injectable class as an MCP tool. Any module imported by the application can declare
 * tools this way; they are found once, at start.
 */
export const McpTool = (options: McpToolOptions): ClassDecorator => applyDecorators(Injectable(), McpToolMetadata(options));
