import { Module } from '@nestjs/common';
import { EmbeddedAuthorizationServer } from './embedded-authorization-server.js';
import { InteractionController } from './interaction.controller.js';

export { EmbeddedAuthorizationServer } from './embedded-authorization-server.js';

/** The development authorization server (AUTH_PROVIDER=embedded) and its sign-in pages. */
@Module({ controllers: [InteractionController], providers: [EmbeddedAuthorizationServer], exports: [EmbeddedAuthorizationServer] })
export class EmbeddedAuthModule {}
