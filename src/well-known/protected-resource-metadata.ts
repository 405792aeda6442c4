import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig, mcpConfig, serverConfig } from '../config/namespaces.js';
import { JsonRepresentation } from './json-representation.js';

/** RFC 9728 §2 fields we publish. */
export interface ProtectedResourceMetadataDocument {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  resource_name: string;
  resource_documentation: string;
}

/** The protected-resource metadata document; built and serialised once, since every field comes from configuration. */
@Injectable()
export class ProtectedResourceMetadata {
  readonly document: Readonly<ProtectedResourceMetadataDocument>;
  readonly representation: JsonRepresentation;

  constructor(
    @Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    @Inject(mcpConfig.KEY) mcp: ConfigType<typeof mcpConfig>,
  ) {
    this.document = Object.freeze({
      resource: server.resourceUrl,
      authorization_servers: [auth.issuer],
      scopes_supported: [...mcp.scopes],
      bearer_methods_supported: ['header'],
      resource_name: server.resourceName,
      resource_documentation: server.resourceDocumentationUrl,
    });
    this.representation = new JsonRepresentation(this.document);
  }
}
