import { Module } from '@nestjs/common';
import { ClockModule } from '../auth/clock.js';
import { AuthorizationServerMetadata } from './authorization-server-metadata.js';

/** What we know of the authorization server: its discovery documents, found and cached. */
@Module({ imports: [ClockModule], providers: [AuthorizationServerMetadata], exports: [AuthorizationServerMetadata] })
export class AuthorizationServerModule {}
