import { Module, type DynamicModule } from '@nestjs/common';
import { JwtAccessTokenVerifier } from '../../auth/jwt-access-token-verifier.js';
import { EmbeddedAuthModule } from './embedded-auth.module.js';
import { AccessTokenVerifier } from '../access-token-verifier.js';
import { AuthorizationServerMetadata } from '../issuer/authorization-server-metadata.js';
import {
  authorizationServerAtIssuer,
  ISSUER_IMPORTS,
  ISSUER_PROVIDERS,
  PROVIDER_EXPORTS,
} from '../issuer/issuer-providers.js';
import { TokenClaimsUserProfiles } from '../issuer/token-claims-user-profiles.js';
import { JwtAccessTokenRules } from '../provider-seam.js';
import { UserProfiles } from '../user-profiles.js';

/**
 * AUTH_PROVIDER=embedded: the development authorization server inside this process
 * (the rest of this folder), treated as any OIDC issuer, except that its documents and keys are read
 * over loopback and that it is not listening yet when modules start. Its routes are mounted ahead
 * of Nest's body parsers. Imported lazily, so oidc-provider is loaded only in this mode.
 */
@Module({})
export class EmbeddedProviderModule {
  static forRoot(): DynamicModule {
    return {
      module: EmbeddedProviderModule,
      imports: [...ISSUER_IMPORTS, EmbeddedAuthModule],
      providers: [
        authorizationServerAtIssuer({ metadataNamesKeys: true, reachableAtStart: false, overLoopback: true }),
        {
          provide: JwtAccessTokenRules,
          inject: [AuthorizationServerMetadata],
          useFactory: (metadata: AuthorizationServerMetadata): JwtAccessTokenRules => ({
            algorithms: ['RS256'],
            // It issues RFC 9068 access tokens.
            requiredType: 'at+jwt',
            keySetUrl: () => metadata.jwksUri(),
          }),
        },
        ...ISSUER_PROVIDERS,
        { provide: AccessTokenVerifier, useExisting: JwtAccessTokenVerifier },
        { provide: UserProfiles, useClass: TokenClaimsUserProfiles },
      ],
      // EmbeddedAuthModule exports the ProviderRoutes the HTTP set-up mounts.
      exports: [...PROVIDER_EXPORTS, EmbeddedAuthModule],
    };
  }
}
