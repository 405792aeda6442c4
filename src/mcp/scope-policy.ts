import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { mcpConfig } from '../config/namespaces.js';

/** Judges scopes the one way everywhere: a broader scope implies the narrower ones it is configured to. */
@Injectable()
export class ScopePolicy {
  constructor(@Inject(mcpConfig.KEY) private readonly mcp: ConfigType<typeof mcpConfig>) {}

  missing(required: readonly string[], granted: readonly string[]): string[] {
    // Most tools ask for no scope beyond signing in: nothing to work out, on every call.
    if (required.length === 0) return [];
    const effective = new Set(granted);
    for (const scope of granted)
      for (const implied of this.mcp.scopeImplications.get(scope) ?? []) effective.add(implied);
    return required.filter((scope) => !effective.has(scope));
  }

  /**
   * What to ask for in a challenge: the baseline plus the operation's own, so a client that
   * replaces its scopes keeps the others.
   */
  challengeScopes(required: readonly string[]): string[] {
    return [...new Set([...this.mcp.scopes, ...required])];
  }
}
