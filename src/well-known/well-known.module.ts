import { Module } from '@nestjs/common';
import { AuthorizationServerMetadata } from './authorization-server-metadata.js';
import { ProtectedResourceMetadata } from './protected-resource-metadata.js';
import { WellKnownController } from './well-known.controller.js';

/** RFC 9728 protected-resource metadata and the authorization server's discovery documents. */
@Module({
  controllers: [WellKnownController],
  providers: [ProtectedResourceMetadata, AuthorizationServerMetadata],
  exports: [AuthorizationServerMetadata],
})
export class WellKnownModule {}
