import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { callerOf } from '../auth/caller.js';
import { mcpConfig } from '../config/namespaces.js';
import { BearerChallengeError } from '../errors/errors.js';
import { recordRequestProtocol } from '../metrics/request-protocol.js';
import { classifyMcpRequest } from './protocol-eras.js';
import { firstParamsProblem } from './request-params.js';
import { ToolRegistry } from './tool-registry.js';

interface JsonRpcCall {
  method?: unknown;
  params?: { name?: unknown };
}

/**
 * In `required` mode, checks before the transport runs that the token carries every scope the
 * requested tool calls need, so a missing scope is an HTTP 403 challenge that clients answer
 * with step-up. The decisions are kept for the registry's call. In `mixed` mode the tools answer
 * with a challenge in their result instead, so this guard lets everything through.
 */
@Injectable()
export class ToolAccessGuard implements CanActivate {
  private readonly mixed: boolean;

  constructor(
    private readonly registry: ToolRegistry,
    @Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>,
  ) {
    this.mixed = mcp.authMode === 'mixed';
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.mixed) return true;
    const request = context.switchToHttp().getRequest<Request>();
    if (request.method !== 'POST') return true;
    const caller = callerOf(request);
    if (!caller) return true;
    const body: unknown = request.body;
    const messages: unknown[] = Array.isArray(body) ? body : [body];
    const needed = new Set<string>();
    const descriptions: string[] = [];
    for (const message of messages) {
      const call = message as JsonRpcCall | null;
      if (call?.method !== 'tools/call' || typeof call.params?.name !== 'string') continue;
      const access = this.registry.accessTo(call.params.name, caller);
      if (!access || access.allowed) continue;
      for (const scope of access.scopes) needed.add(scope);
      descriptions.push(access.description);
    }
    if (descriptions.length === 0) return true;
    return this.refuse(request, body, BearerChallengeError.insufficientScope(descriptions.join(' '), [...needed]));
  }

  /**
   * The endpoint answers malformed params before scopes (unless the SDK's classifier refuses the
   * request outright), and labels every answer it gives with the request's era: both stay so.
   */
  private refuse(request: Request, body: unknown, challenge: BearerChallengeError): boolean {
    const classified = classifyMcpRequest(request, body);
    if (classified.outcome.kind !== 'reject' && firstParamsProblem(body, classified.era) !== undefined) return true;
    recordRequestProtocol(request, classified);
    throw challenge;
  }
}
