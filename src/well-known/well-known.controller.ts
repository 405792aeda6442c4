import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { serverConfig } from '../config/namespaces.js';
import { NotFoundError } from '../errors/errors.js';
import { AuthorizationServerMetadata } from '../providers/issuer/authorization-server-metadata.js';
import { ProtectedResourceMetadata, type ProtectedResourceMetadataDocument } from './protected-resource-metadata.js';

/**
 * Discovery documents, without a token; GET also answers HEAD. Each is served at its well-known
 * root, and for the MCP path both where RFC 9728 puts it (`/.well-known/...<path>`) and at the
 * "appended" location some clients try (`<path>/.well-known/...`).
 */
@Controller()
export class WellKnownController {
  constructor(
    @Inject(serverConfig.KEY) private readonly server: ConfigType<typeof serverConfig>,
    private readonly protectedResource: ProtectedResourceMetadata,
    private readonly authorizationServer: AuthorizationServerMetadata,
  ) {}

  @Get([
    '.well-known/oauth-protected-resource',
    '.well-known/oauth-protected-resource/*resourcePath',
    '*resourcePath/.well-known/oauth-protected-resource',
  ])
  @Header('Cache-Control', 'public, max-age=3600')
  protectedResourceMetadata(
    @Param('resourcePath') resourcePath?: string[] | string,
  ): Readonly<ProtectedResourceMetadataDocument> {
    this.assertMcpPath(resourcePath);
    return this.protectedResource.document;
  }

  @Get(['.well-known/oauth-authorization-server', '*resourcePath/.well-known/oauth-authorization-server'])
  @Header('Cache-Control', 'public, max-age=300')
  oauthAuthorizationServer(@Param('resourcePath') resourcePath?: string[] | string): Promise<Record<string, unknown>> {
    this.assertMcpPath(resourcePath);
    return this.authorizationServer.get('oauth-authorization-server');
  }

  @Get(['.well-known/openid-configuration', '*resourcePath/.well-known/openid-configuration'])
  @Header('Cache-Control', 'public, max-age=300')
  openidConfiguration(@Param('resourcePath') resourcePath?: string[] | string): Promise<Record<string, unknown>> {
    this.assertMcpPath(resourcePath);
    return this.authorizationServer.get('openid-configuration');
  }

  /** A resource path in the URL must be the MCP path (a trailing slash aside); none means the root form. */
  private assertMcpPath(resourcePath: string[] | string | undefined): void {
    if (resourcePath === undefined) return;
    const path = `/${Array.isArray(resourcePath) ? resourcePath.join('/') : resourcePath}`.replace(/\/$/, '');
    if (path !== this.server.mcpPath) throw new NotFoundError(`No protected resource is served at ${path}.`);
  }
}
