import { Module } from '@nestjs/common';
import { EMBEDDED_AUTH_CLOCK, EmbeddedAuthorizationServer } from './embedded-authorization-server.js';
import { EmbeddedIssuerRoutes } from './embedded-issuer-routes.js';
import { InteractionController } from './interaction.controller.js';

/**
 * The development authorization server (AUTH_PROVIDER=embedded) and its sign-in pages. The
 * application loads this module only in that mode; others reach it as {@link EmbeddedIssuerRoutes}.
 */
@Module({
  controllers: [InteractionController],
  providers: [
    EmbeddedAuthorizationServer,
    { provide: EmbeddedIssuerRoutes, useExisting: EmbeddedAuthorizationServer },
    { provide: EMBEDDED_AUTH_CLOCK, useValue: () => Date.now() },
  ],
  exports: [EmbeddedIssuerRoutes],
})
export class EmbeddedAuthModule {}
