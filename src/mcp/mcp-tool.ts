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

/**
 * How a tool may be called, in the form ChatGPT reads (`securitySchemes`): anonymously, with an
 * OAuth token carrying the listed scopes, or either.
 */
export type SecurityScheme = { type: 'noauth' } | { type: 'oauth2'; scopes?: string[] };

export interface McpToolOptions {
  name: string;
  title?: string;
  description: string;
  inputSchema: ToolInputSchema;
  /** Default: `[{ type: 'oauth2' }]`, a signed-in user with no particular scope. */
  securitySchemes?: readonly SecurityScheme[];
  annotations?: ToolAnnotations;
}

/**
 * What a tool knows about its call: who is calling, and a signal that fires if the client goes
 * away. `identity` is always set for tools without a `noauth` scheme.
 */
export interface ToolContext {
  identity: VerifiedIdentity | undefined;
  signal: AbortSignal;
}

/** The caller of a tool that requires sign-in; the registry never runs such a tool anonymously. */
export function signedInIdentity(context: ToolContext): VerifiedIdentity {
  if (!context.identity)
    throw new Error('This tool requires a signed-in user, and the registry let an anonymous call through.');
  return context.identity;
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
export const McpTool = (options: McpToolOptions): ClassDecorator =>
  applyDecorators(Injectable(), McpToolMetadata(options));
