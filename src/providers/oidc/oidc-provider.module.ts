import { Module, type DynamicModule } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtAccessTokenVerifier } from '../../auth/jwt-access-token-verifier.js';
import { oidcConfig } from '../../config/namespaces.js';
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
 * AUTH_PROVIDER=oidc: any standards issuer (Auth0, Okta, Entra, Keycloak...). JWT access tokens
 * checked against the keys its metadata names; profiles read from the token's claims.
 */
@Module({})
export class OidcProviderModule {
  static forRoot(): DynamicModule {
    return {
      module: OidcProviderModule,
      imports: ISSUER_IMPORTS,
      providers: [
        authorizationServerAtIssuer({ metadataNamesKeys: true, reachableAtStart: true, overLoopback: false }),
        {
          provide: JwtAccessTokenRules,
          inject: [oidcConfig.KEY, AuthorizationServerMetadata],
          useFactory: (
            oidc: ConfigType<typeof oidcConfig>,
            metadata: AuthorizationServerMetadata,
          ): JwtAccessTokenRules => ({
            algorithms: oidc.algorithms,
            // Auth0, Okta and Entra type their access tokens `JWT`, not RFC 9068's `at+jwt`.
            requiredType: undefined,
            keySetUrl: () => metadata.jwksUri(),
          }),
        },
        ...ISSUER_PROVIDERS,
        { provide: AccessTokenVerifier, useExisting: JwtAccessTokenVerifier },
        { provide: UserProfiles, useClass: TokenClaimsUserProfiles },
      ],
      exports: PROVIDER_EXPORTS,
    };
  }
}
