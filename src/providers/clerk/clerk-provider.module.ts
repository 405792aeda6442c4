import { Module, type DynamicModule } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../../config/namespaces.js';
import { AccessTokenVerifier } from '../access-token-verifier.js';
import {
  authorizationServerAtIssuer,
  ISSUER_IMPORTS,
  ISSUER_PROVIDERS,
  PROVIDER_EXPORTS,
} from '../issuer/issuer-providers.js';
import { JwtAccessTokenRules } from '../provider-seam.js';
import { UserProfiles } from '../user-profiles.js';
import { ClerkBackendApi } from './clerk-backend-api.js';
import { clerkClientProvider } from './clerk-client.provider.js';
import { ClerkOpaqueTokenVerifier } from './clerk-opaque-token-verifier.js';
import { ClerkTokenVerifier } from './clerk-token-verifier.js';
import { ClerkUserProfiles } from './clerk-user-profiles.js';

/**
 * AUTH_PROVIDER=clerk (the default when Clerk keys are set): OAuth JWTs checked against the
 * Frontend API's keys, opaque `oat_` tokens and user profiles through the Backend API.
 */
@Module({})
export class ClerkProviderModule {
  static forRoot(): DynamicModule {
    return {
      module: ClerkProviderModule,
      imports: ISSUER_IMPORTS,
      providers: [
        authorizationServerAtIssuer({ metadataNamesKeys: false, reachableAtStart: true, overLoopback: false }),
        {
          provide: JwtAccessTokenRules,
          inject: [authConfig.KEY],
          useFactory: (auth: ConfigType<typeof authConfig>): JwtAccessTokenRules => {
            const keySetUrl = `${auth.issuer}/.well-known/jwks.json`;
            return { algorithms: ['RS256'], requiredType: 'at+jwt', keySetUrl: () => Promise.resolve(keySetUrl) };
          },
        },
        ...ISSUER_PROVIDERS,
        clerkClientProvider,
        ClerkBackendApi,
        ClerkOpaqueTokenVerifier,
        { provide: AccessTokenVerifier, useClass: ClerkTokenVerifier },
        { provide: UserProfiles, useClass: ClerkUserProfiles },
      ],
      exports: PROVIDER_EXPORTS,
    };
  }
}
