import { Module } from '@nestjs/common';
import { AuthorizationServerModule } from '../authorization-server/authorization-server.module.js';
import { ProtectedResourceMetadata } from './protected-resource-metadata.js';
import { ServiceDescriptionController } from './service-description.controller.js';
import { WellKnownController } from './well-known.controller.js';

/** RFC 9728 protected-resource metadata and the authorization server's discovery documents. */
@Module({
  imports: [AuthorizationServerModule],
  controllers: [WellKnownController, ServiceDescriptionController],
  providers: [ProtectedResourceMetadata],
  exports: [AuthorizationServerModule],
})
export class WellKnownModule {}
