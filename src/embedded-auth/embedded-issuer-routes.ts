import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The embedded issuer's HTTP face, for mounting ahead of Nest's body parsers. Kept apart from the
 * server itself so that other code can name it without loading oidc-provider, which is only
 * loaded when AUTH_PROVIDER=embedded.
 */
export abstract class EmbeddedIssuerRoutes {
  /** True for the requests the issuer answers: its endpoints and its discovery documents. */
  abstract handles(path: string): boolean;
  abstract handle(request: IncomingMessage, response: ServerResponse): void;
}
