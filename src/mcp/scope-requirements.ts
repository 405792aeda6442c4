import { Injectable } from '@nestjs/common';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { AppConfig } from '../config/app-config.js';
import { BearerChallengeError } from '../errors/errors.js';
import { ToolRegistry } from './tool-registry.js';

interface JsonRpcCall {
  method?: unknown;
  params?: { name?: unknown };
}

/**
 * In `required` mode, checks before the transport runs that the token carries every scope the
 * requested tool calls need, so a missing scope is an HTTP 403 challenge that clients answer
 * with step-up. In `mixed` mode the tools answer with a challenge in their result instead.
 */
@Injectable()
export class ScopeRequirements {
  constructor(
    private readonly registry: ToolRegistry,
    private readonly config: AppConfig,
  ) {}

  assertGranted(body: unknown, authInfo: AuthInfo | undefined): void {
    if (this.config.authMode === 'mixed') return;
    const messages: unknown[] = Array.isArray(body) ? body : [body];
    const needed = new Set<string>();
    const descriptions: string[] = [];
    for (const message of messages) {
      const call = message as JsonRpcCall | null;
      if (call?.method !== 'tools/call' || typeof call.params?.name !== 'string') continue;
      const access = this.registry.accessTo(call.params.name, authInfo);
      if (!access || access.allowed) continue;
      for (const scope of access.scopes) needed.add(scope);
      descriptions.push(access.description);
    }
    if (descriptions.length > 0) throw BearerChallengeError.insufficientScope(descriptions.join(' '), [...needed]);
  }
}
