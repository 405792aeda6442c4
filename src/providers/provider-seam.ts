import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * What every provider module supplies besides {@link AccessTokenVerifier} and {@link UserProfiles}
 * (in their own files): its authorization server, its verification rules, its readiness checks and,
 * optionally, routes of its own. The rest of the application injects these and never asks which
 * provider it runs with.
 */

/** The authorization server a provider signs users in with, and how this process reaches it. */
export abstract class AuthorizationServer {
  /** The issuer identifier, exactly as tokens and its metadata carry it. */
  abstract readonly issuer: string;
  /**
   * Whether its metadata must name `jwks_uri`. Clerk's does not have to: its keys are at a fixed
   * path of the Frontend API.
   */
  abstract readonly metadataNamesKeys: boolean;
  /** False when the issuer is this very process, which does not listen yet when modules start. */
  abstract readonly reachableAtStart: boolean;
  /** The URL to fetch for one of the URLs the issuer publishes (its documents, its keys). */
  abstract fetchUrl(published: string): string;
}

/** What makes a JWT access token acceptable from this provider, besides its issuer and lifetime. */
export abstract class JwtAccessTokenRules {
  /** JWS algorithms accepted. */
  abstract readonly algorithms: string[];
  /** RFC 9068 `typ`; when set, any other type (a Clerk session token's `JWT`) is refused. */
  abstract readonly requiredType: 'at+jwt' | undefined;
  /** Where the issuer publishes its keys. */
  abstract keySetUrl(): Promise<string>;
}

/** The checks /readyz runs for the provider; each is one terminus indicator. */
export abstract class ProviderReadiness {
  abstract checks(): (() => PromiseLike<HealthIndicatorResult>)[];
}

/**
 * Routes a provider serves itself, mounted by the HTTP set-up ahead of Nest's body parsers (an
 * embedded authorization server reads its own request bodies). Provided only by providers that
 * have any; kept free of their implementation so naming it loads nothing.
 */
export abstract class ProviderRoutes {
  /** True for the requests these routes answer. */
  abstract handles(path: string): boolean;
  abstract handle(request: IncomingMessage, response: ServerResponse): void;
}

/**
 * The selected provider's {@link ProviderRoutes}, or null when it has none: what the HTTP set-up
 * mounts. Held in a wrapper: Nest runs lifecycle hooks on every provider's value, so handing out the
 * routes object itself a second time would run its hooks twice.
 */
export const MOUNTED_PROVIDER_ROUTES = Symbol('MOUNTED_PROVIDER_ROUTES');
export interface MountedProviderRoutes {
  readonly routes: ProviderRoutes | null;
}
