import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

/** RFC 9728 §2 fields we publish. */
export interface ProtectedResourceMetadataDocument {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  resource_name: string;
  resource_documentation: string;
}

/** The protected-resource metadata document; built once, since every field comes from configuration. */
@Injectable()
export class ProtectedResourceMetadata {
  readonly document: Readonly<ProtectedResourceMetadataDocument>;

  constructor(config: AppConfig) {
    this.document = Object.freeze({
      resource: config.resourceUrl,
      authorization_servers: [config.issuer],
      scopes_supported: [...config.scopes],
      bearer_methods_supported: ['header'],
      resource_name: config.resourceName,
      resource_documentation: config.resourceDocumentationUrl,
    });
  }
}
