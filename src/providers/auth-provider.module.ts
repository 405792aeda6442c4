import { Module, type DynamicModule } from '@nestjs/common';
import type { AuthProvider } from '../config/environment.js';
import { MOUNTED_PROVIDER_ROUTES, ProviderRoutes, type MountedProviderRoutes } from './provider-seam.js';
import { ClerkProviderModule } from './clerk/clerk-provider.module.js';
import { OidcProviderModule } from './oidc/oidc-provider.module.js';

/**
 * The one place that knows which providers exist. Each entry builds that provider's module, which
 * supplies the seam's tokens (see provider-seam.ts). A new provider is a folder beside these and
 * a line here (and its name in AUTH_PROVIDERS, config/environment.ts).
 */
const PROVIDER_MODULES: Record<AuthProvider, () => DynamicModule | Promise<DynamicModule>> = {
  clerk: () => ClerkProviderModule.forRoot(),
  oidc: () => OidcProviderModule.forRoot(),
  // Loaded only when used: oidc-provider is large, and it is needed in no other mode.
  embedded: async () => (await import('./embedded/embedded-provider.module.js')).EmbeddedProviderModule.forRoot(),
};

/**
 * The authorization provider the configuration selects (AUTH_PROVIDER), as a dynamic module in the
 * way of `@nestjs/config`'s and `@nestjs/throttler`'s `forRoot`. Built once per application and
 * imported by each module that needs the provider; nothing else asks which provider it is.
 */
@Module({})
export class AuthProviderModule {
  static async forRoot(provider: AuthProvider): Promise<DynamicModule> {
    const selected = await PROVIDER_MODULES[provider]();
    return {
      module: AuthProviderModule,
      imports: [selected],
      providers: [
        {
          provide: MOUNTED_PROVIDER_ROUTES,
          inject: [{ token: ProviderRoutes, optional: true }],
          useFactory: (routes?: ProviderRoutes): MountedProviderRoutes => ({ routes: routes ?? null }),
        },
      ],
      exports: [selected, MOUNTED_PROVIDER_ROUTES],
    };
  }
}
