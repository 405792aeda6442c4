import { Module } from '@nestjs/common';
import { ProviderRoutes } from '../provider-seam.js';
import { EMBEDDED_AUTH_CLOCK, EmbeddedAuthorizationServer } from './embedded-authorization-server.js';
import { InteractionController } from './interaction.controller.js';

/**
 * The development authorization server (AUTH_PROVIDER=embedded) and its sign-in pages. Loaded
 * only in that mode, by the embedded provider module, which offers it as {@link ProviderRoutes}.
 */
@Module({
  controllers: [InteractionController],
  providers: [
    EmbeddedAuthorizationServer,
    { provide: ProviderRoutes, useExisting: EmbeddedAuthorizationServer },
    { provide: EMBEDDED_AUTH_CLOCK, useValue: () => Date.now() },
  ],
  exports: [ProviderRoutes],
})
export class EmbeddedAuthModule {}
