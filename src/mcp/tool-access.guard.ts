import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { callerOf, type Caller } from '../auth/caller.js';
import { mcpConfig } from '../config/namespaces.js';
import { BearerChallengeError } from '../errors/errors.js';
import { recordRequestProtocol } from '../metrics/request-protocol.js';
import { classifyMcpRequest } from './protocol-eras.js';
import { paramsProblemAnsweredFirst } from './request-params.js';
import type { ToolAccess } from './tool-access.js';
import { ToolRegistry } from './tool-registry.js';

type RefusedAccess = Extract<ToolAccess, { allowed: false }>;

interface JsonRpcCall {
  method?: unknown;
  params?: { name?: unknown };
}

/**
 * In `required` mode, checks before the transport runs that the token carries every scope the
 * requested tool calls need, so a missing scope is an HTTP 403 challenge that clients answer
 * with step-up; the registry reuses this decision for the call. In `mixed` mode the tools answer
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
    // HTTP: the request is argument 0 (switchToHttp() would build three closures per call to say so).
    const request = context.getArgByIndex<Request>(0);
    if (request.method !== 'POST') return true;
    const caller = callerOf(request);
    if (!caller) return true;
    const body: unknown = request.body;
    if (!Array.isArray(body)) {
      const refused = this.refusedCall(body, caller);
      return refused ? this.refuse(request, body, [refused]) : true;
    }
    const refusals = body.map((message) => this.refusedCall(message, caller)).filter((access) => access !== undefined);
    return refusals.length === 0 || this.refuse(request, body, refusals);
  }

  /** The refused access of one message, if it is a call of a tool the caller may not run. */
  private refusedCall(message: unknown, caller: Caller): RefusedAccess | undefined {
    const call = message as JsonRpcCall | null;
    if (call?.method !== 'tools/call' || typeof call.params?.name !== 'string') return undefined;
    const access = this.registry.accessTo(call.params.name, caller);
    return access && !access.allowed ? access : undefined;
  }

  /**
   * The endpoint answers malformed params before scopes (unless the SDK's classifier refuses the
   * request outright), and labels every answer it gives with the request's era: both stay so.
   */
  private refuse(request: Request, body: unknown, refusals: readonly RefusedAccess[]): boolean {
    const classified = classifyMcpRequest(request, body);
    if (paramsProblemAnsweredFirst(request, body, classified) !== undefined) return true;
    recordRequestProtocol(request, classified);
    const scopes = new Set(refusals.flatMap((access) => access.scopes));
    const description = refusals.map((access) => access.description).join(' ');
    throw BearerChallengeError.insufficientScope(description, [...scopes]);
  }
}
