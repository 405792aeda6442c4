import { Module } from '@nestjs/common';
import { ClerkModule } from '../clerk/clerk.module.js';
import { GetEmailTool } from './get-email.tool.js';
import { GetProfileTool } from './get-profile.tool.js';
import { WhoamiTool } from './whoami.tool.js';

/** Tools about the signed-in user. A team adds its own tools the same way, in a module of its own. */
@Module({ imports: [ClerkModule], providers: [WhoamiTool, GetProfileTool, GetEmailTool] })
export class IdentityToolsModule {}
