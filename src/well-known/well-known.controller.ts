import { Controller, Get, Header, Param } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { NotFoundError } from '../errors/errors.js';
import { AuthorizationServerMetadata } from '../authorization-server/authorization-server-metadata.js';
import { ProtectedResourceMetadata, type ProtectedResourceMetadataDocument } from './protected-resource-metadata.js';

/** Discovery documents. No token is needed here; GET also answers HEAD. */
@Controller('.well-known')
export class WellKnownController {
  constructor(
    private readonly config: AppConfig,
    private readonly protectedResource: ProtectedResourceMetadata,
    private readonly authorizationServer: AuthorizationServerMetadata,
  ) {}

  @Get('oauth-protected-resource')
  @Header('Cache-Control', 'public, max-age=3600')
  rootProtectedResourceMetadata(): Readonly<ProtectedResourceMetadataDocument> {
    return this.protectedResource.document;
  }

  /** RFC 9728 §3.1: the resource's path appended to the well-known path. */
  @Get('oauth-protected-resource/*resourcePath')
  @Header('Cache-Control', 'public, max-age=3600')
  pathProtectedResourceMetadata(@Param('resourcePath') resourcePath: string[] | string): Readonly<ProtectedResourceMetadataDocument> {
    const path = `/${Array.isArray(resourcePath) ? resourcePath.join('/') : resourcePath}`.replace(/\/$/, '');
    if (path !== this.config.mcpPath) throw new NotFoundError(`No protected resource is served at ${path}.`);
    return this.protectedResource.document;
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  oauthAuthorizationServer(): Promise<Record<string, unknown>> {
    return this.authorizationServer.get('oauth-authorization-server');
  }

  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  openidConfiguration(): Promise<Record<string, unknown>> {
    return this.authorizationServer.get('openid-configuration');
  }
}
