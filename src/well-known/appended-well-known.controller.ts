import { Controller, Get, Header, Param } from '@nestjs/common';
import { AuthorizationServerMetadata } from '../authorization-server/authorization-server-metadata.js';
import { AppConfig } from '../config/app-config.js';
import { NotFoundError } from '../errors/errors.js';
import { ProtectedResourceMetadata, type ProtectedResourceMetadataDocument } from './protected-resource-metadata.js';

const joinPath = (segments: string[] | string): string => `/${Array.isArray(segments) ? segments.join('/') : segments}`;

/**
 * The same documents at the "appended" locations some clients try (`/mcp/.well-known/...`):
 * not what RFC 9728 or RFC 8414 specify, but cheaper to answer than to explain.
 */
@Controller()
export class AppendedWellKnownController {
  constructor(
    private readonly config: AppConfig,
    private readonly protectedResource: ProtectedResourceMetadata,
    private readonly authorizationServer: AuthorizationServerMetadata,
  ) {}

  @Get('*resourcePath/.well-known/oauth-protected-resource')
  @Header('Cache-Control', 'public, max-age=3600')
  protectedResourceMetadata(@Param('resourcePath') resourcePath: string[] | string): Readonly<ProtectedResourceMetadataDocument> {
    this.assertMcpPath(resourcePath);
    return this.protectedResource.document;
  }

  @Get('*resourcePath/.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  oauthAuthorizationServer(@Param('resourcePath') resourcePath: string[] | string): Promise<Record<string, unknown>> {
    this.assertMcpPath(resourcePath);
    return this.authorizationServer.get('oauth-authorization-server');
  }

  @Get('*resourcePath/.well-known/openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  openidConfiguration(@Param('resourcePath') resourcePath: string[] | string): Promise<Record<string, unknown>> {
    this.assertMcpPath(resourcePath);
    return this.authorizationServer.get('openid-configuration');
  }

  private assertMcpPath(resourcePath: string[] | string): void {
    const path = joinPath(resourcePath);
    if (path !== this.config.mcpPath) throw new NotFoundError(`No protected resource is served at ${path}.`);
  }
}
