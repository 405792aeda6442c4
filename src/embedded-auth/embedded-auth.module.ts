import { Module } from '@nestjs/common';
import { EmbeddedAuthorizationServer } from './embedded-authorization-server.js';
import { EmbeddedIssuerRoutes } from './embedded-issuer-routes.js';
import { InteractionController } from './interaction.controller.js';

/**
 * The development authorization server (AUTH_PROVIDER=embedded) and its sign-in pages. The
 * application loads this module only in that mode; others reach it as {@link EmbeddedIssuerRoutes}.
 */
@Module({
  controllers: [InteractionController],
  providers: [EmbeddedAuthorizationServer, { provide: EmbeddedIssuerRoutes, useExisting: EmbeddedAuthorizationServer }],
  exports: [EmbeddedIssuerRoutes],
})
export class EmbeddedAuthModule {}
