import { Module, type DynamicModule } from '@nestjs/common';
import { ClerkModule } from '../clerk/clerk.module.js';
import type { AuthProvider } from '../config/environment.js';
import { ClerkUserProfiles } from './clerk-user-profiles.js';
import { GetEmailTool } from './get-email.tool.js';
import { GetProfileTool } from './get-profile.tool.js';
import { TokenClaimsUserProfiles } from './token-claims-user-profiles.js';
import { UserProfiles } from './user-profiles.js';
import { WhoamiTool } from './whoami.tool.js';

/** Tools about the signed-in user. A team adds its own tools the same way, in a module of its own. */
@Module({})
export class IdentityToolsModule {
  static forRoot(provider: AuthProvider): DynamicModule {
    return {
      module: IdentityToolsModule,
      imports: provider === 'clerk' ? [ClerkModule] : [],
      providers: [
        { provide: UserProfiles, useClass: provider === 'clerk' ? ClerkUserProfiles : TokenClaimsUserProfiles },
        WhoamiTool,
        GetProfileTool,
        GetEmailTool,
      ],
    };
  }
}
