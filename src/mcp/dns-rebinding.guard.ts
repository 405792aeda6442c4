import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { httpConfig, mcpConfig } from '../config/namespaces.js';
import { JsonRpcHttpError } from '../errors/errors.js';
import { isAllowed } from './allow-list.js';

/**
 * DNS-rebinding protection the Streamable HTTP transport asks for: a browser `Origin` that is not
 * allowed, or a `Host` that is not ours, gets 403. Requests without `Origin` (server-side clients)
 * pass. `Host` is read as Express sees it, so behind an ingress that rewrites it, the forwarded
 * host counts only when that proxy is trusted.
 */
@Injectable()
export class DnsRebindingGuard implements CanActivate {
  private readonly behindProxies: boolean;

  constructor(
    @Inject(mcpConfig.KEY) private readonly mcp: ConfigType<typeof mcpConfig>,
    @Inject(httpConfig.KEY) { behindProxies }: ConfigType<typeof httpConfig>,
  ) {
    this.behindProxies = behindProxies;
  }

  canActivate(context: ExecutionContext): boolean {
    // HTTP: the request is argument 0 (switchToHttp() would build three closures per call to say so).
    const request = context.getArgByIndex<Request>(0);
    const origin = request.headers.origin;
    if (origin !== undefined && !isAllowed(origin, this.mcp.allowedOrigins))
      throw new JsonRpcHttpError(
        403,
        -32000,
        `Forbidden: the origin ${origin} may not call this server (see ALLOWED_ORIGINS).`,
      );
    const host = this.requestedAuthority(request);
    if (!host || !isAllowed(host, this.mcp.allowedHosts))
      throw new JsonRpcHttpError(
        403,
        -32000,
        `Forbidden: this server does not answer to the host ${host ?? '(none)'} (see PUBLIC_BASE_URL and ALLOWED_HOSTS).`,
      );
    return true;
  }

  /**
   * The authority a request is addressed to. Node keeps an absolute-form target
   * (`POST http://evil.example/mcp`) as the request's url and Express routes it by its path alone, so
   * Host would speak for a request that names another server. RFC 9112 §3.2.2: the target's
   * authority wins, and Host is ignored. Otherwise Host as Express reads it: with no proxy trusted,
   * Express's answer is the Host header itself, read here directly (Express looks up its settings
   * and X-Forwarded-Host first on every read).
   */
  private requestedAuthority(request: Request): string | undefined {
    if (!request.originalUrl.startsWith('/')) return URL.parse(request.originalUrl)?.host || undefined;
    return this.behindProxies ? request.host : request.headers.host || undefined;
  }
}
