import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { BearerChallengeError } from '../errors/errors.js';
import { ToolRegistry } from './tool-registry.js';

interface JsonRpcCall {
  method?: unknown;
  params?: { name?: unknown };
}

/**
 * Checks, before the transport runs, that the token carries every scope the requested tool
 * calls need, so a missing scope is an HTTP 403 challenge that clients answer with step-up.
 */
@Injectable()
export class ScopeRequirements {
  constructor(
    private readonly registry: ToolRegistry,
    private readonly config: AppConfig,
  ) {}

  assertGranted(body: unknown, grantedScopes: readonly string[]): void {
    const messages: unknown[] = Array.isArray(body) ? body : [body];
    const required = new Set<string>();
    for (const message of messages) {
      const call = message as JsonRpcCall | null;
      if (call?.method !== 'tools/call' || typeof call.params?.name !== 'string') continue;
      for (const scope of this.registry.requiredScopes(call.params.name)) required.add(scope);
    }
    const missing = [...required].filter((scope) => !grantedScopes.includes(scope));
    if (missing.length === 0) return;
    // Ask for the baseline too, so a client that replaces its scopes rather than adding to them keeps the others.
    const challengeScopes = [...new Set([...this.config.scopes, ...required])];
    throw BearerChallengeError.insufficientScope(`This call needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}.`, challengeScopes);
  }
}
