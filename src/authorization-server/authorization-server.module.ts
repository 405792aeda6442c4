import { Module } from '@nestjs/common';
import { AuthorizationServerMetadata } from './authorization-server-metadata.js';

/** What we know of the authorization server: its discovery documents, found and cached. */
@Module({ providers: [AuthorizationServerMetadata], exports: [AuthorizationServerMetadata] })
export class AuthorizationServerModule {}
