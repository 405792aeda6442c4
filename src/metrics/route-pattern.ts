import type { IncomingMessage } from 'node:http';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Label for requests that matched no route (unknown paths, and bodies refused before routing). */
export const UNMATCHED_ROUTE = '(unmatched)';

/** On the request itself, like its protocol (request-protocol.ts): cheaper than a WeakMap entry per request. */
const PATTERN = Symbol('routePattern');
type PatternCarrier = IncomingMessage & { [PATTERN]?: string };

/**
 * The route pattern a request matched (`/mcp`, `/.well-known/oauth-protected-resource/*resourcePath`),
 * never the raw URL: logs and metrics stay free of query strings and keep a bounded set of values.
 */
export function routePattern(request: IncomingMessage): string {
  return (request as PatternCarrier)[PATTERN] ?? UNMATCHED_ROUTE;
}

/**
 * Notes the pattern of the route a request reached. A global guard, because guards are the first
 * thing Nest runs for a matched route only, and they run before any refusal (401, 429, ...). Express's
 * own `req.route` cannot tell: Nest mounts middleware as routes on every path, so a request that
 * matched nothing still carries one.
 */
@Injectable()
export class RoutePatternRecorder implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    // HTTP: the request is argument 0 (switchToHttp() would build three closures per call to say so).
    const request = context.getArgByIndex<Request>(0);
    const route: unknown = request.route;
    if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string')
      // Nest mounts no routers, so the base is empty and the route's own string (hashed once) is the pattern.
      (request as PatternCarrier)[PATTERN] = request.baseUrl ? `${request.baseUrl}${route.path}` : route.path;
    return true;
  }
}
