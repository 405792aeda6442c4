import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig, serverConfig } from '../config/namespaces.js';
import { BearerChallengeError } from '../errors/errors.js';
import type { VerifiedIdentity } from './verified-identity.js';

/**
 * RFC 8707 audience binding. Clerk sets `aud` only when the client sent `resource`, so the default
 * (`when-present`) refuses tokens bound to another resource and accepts unbound ones, counting them
 * in the logs so an operator can see when `strict` becomes safe.
 */
@Injectable()
export class AudiencePolicy {
  private readonly logger = new Logger(AudiencePolicy.name);
  private readonly acceptedAudiences: ReadonlySet<string>;
  private unboundTokensAccepted = 0;

  private readonly mode: ConfigType<typeof authConfig>['audienceMode'];
  private readonly resourceUrl: string;

  constructor(
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    @Inject(serverConfig.KEY) server: ConfigType<typeof serverConfig>,
  ) {
    this.mode = auth.audienceMode;
    this.resourceUrl = server.resourceUrl;
    // Authorization servers that run `resource` through a URL parser may add a trailing slash.
    this.acceptedAudiences = new Set([server.resourceUrl, `${server.resourceUrl}/`, ...auth.extraAudiences]);
  }

  check(identity: VerifiedIdentity): void {
    const mode = this.mode;
    if (mode === 'off') return;
    if (identity.audience.length === 0) {
      if (mode === 'strict')
        throw BearerChallengeError.invalidToken(
          `The access token is not bound to ${this.resourceUrl} (no aud claim).`,
          'audience',
        );
      this.countUnbound(identity);
      return;
    }
    if (!identity.audience.some((audience) => this.acceptedAudiences.has(audience)))
      throw BearerChallengeError.invalidToken(
        `The access token was issued for another resource, not ${this.resourceUrl}.`,
        'audience',
      );
  }

  private countUnbound(identity: VerifiedIdentity): void {
    this.unboundTokensAccepted += 1;
    const count = this.unboundTokensAccepted;
    if (count === 1 || count % 100 === 0)
      this.logger.warn(
        `Accepted an access token without aud (client ${identity.clientId}); ${count} so far. The client did not send the resource parameter.`,
      );
  }
}
