import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { serverConfig } from '../config/namespaces.js';
import { NotFoundError } from '../errors/errors.js';
import { AuthorizationServerMetadata, type MetadataKind } from '../providers/issuer/authorization-server-metadata.js';
import { JsonRepresentations } from './json-representation.js';
import { ProtectedResourceMetadata } from './protected-resource-metadata.js';

/** Ours never changes while the process runs; the authorization server's is re-fetched every few minutes. */
const PROTECTED_RESOURCE_CACHE_CONTROL = 'public, max-age=3600';
const AUTHORIZATION_SERVER_CACHE_CONTROL = 'public, max-age=300';

/**
 * Discovery documents, without a token; GET also answers HEAD, and a conditional GET whose
 * If-None-Match names the current version gets 304. Each is served at its well-known root, and for
 * the MCP path both where RFC 9728 puts it (`/.well-known/...<path>`) and at the "appended"
 * location some clients try (`<path>/.well-known/...`). Each version of a document is serialised
 * once ({@link JsonRepresentations}), and the answers are written directly.
 */
@Controller()
export class WellKnownController {
  private readonly representations = new JsonRepresentations();

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
  protectedResourceMetadata(
    @Req() request: Request,
    @Res() response: Response,
    @Param('resourcePath') resourcePath?: string[] | string,
  ): void {
    this.assertMcpPath(resourcePath);
    this.protectedResource.representation.send(request, response, PROTECTED_RESOURCE_CACHE_CONTROL);
  }

  @Get(['.well-known/oauth-authorization-server', '*resourcePath/.well-known/oauth-authorization-server'])
  oauthAuthorizationServer(
    @Req() request: Request,
    @Res() response: Response,
    @Param('resourcePath') resourcePath?: string[] | string,
  ): Promise<void> {
    return this.sendAuthorizationServerMetadata('oauth-authorization-server', request, response, resourcePath);
  }

  @Get(['.well-known/openid-configuration', '*resourcePath/.well-known/openid-configuration'])
  openidConfiguration(
    @Req() request: Request,
    @Res() response: Response,
    @Param('resourcePath') resourcePath?: string[] | string,
  ): Promise<void> {
    return this.sendAuthorizationServerMetadata('openid-configuration', request, response, resourcePath);
  }

  private async sendAuthorizationServerMetadata(
    kind: MetadataKind,
    request: Request,
    response: Response,
    resourcePath: string[] | string | undefined,
  ): Promise<void> {
    this.assertMcpPath(resourcePath);
    const document = await this.authorizationServer.get(kind);
    this.representations.of(document).send(request, response, AUTHORIZATION_SERVER_CACHE_CONTROL);
  }

  /** A resource path in the URL must be the MCP path (a trailing slash aside); none means the root form. */
  private assertMcpPath(resourcePath: string[] | string | undefined): void {
    if (resourcePath === undefined) return;
    const path = `/${Array.isArray(resourcePath) ? resourcePath.join('/') : resourcePath}`.replace(/\/$/, '');
    if (path !== this.server.mcpPath) throw new NotFoundError(`No protected resource is served at ${path}.`);
  }
}
