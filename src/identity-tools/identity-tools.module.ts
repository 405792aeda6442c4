import { Module, type DynamicModule } from '@nestjs/common';
import { GetEmailTool } from './get-email.tool.js';
import { GetProfileTool } from './get-profile.tool.js';
import { WhoamiTool } from './whoami.tool.js';

/**
 * Tools about the signed-in user, reading profiles from the selected provider's UserProfiles. A
 * team adds its own tools the same way, in a module of its own.
 */
@Module({})
export class IdentityToolsModule {
  static forRoot(providerModule: DynamicModule): DynamicModule {
    return {
      module: IdentityToolsModule,
      imports: [providerModule],
      providers: [WhoamiTool, GetProfileTool, GetEmailTool],
    };
  }
}
