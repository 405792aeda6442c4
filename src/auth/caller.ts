import type { IncomingMessage } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';
import type { VerifiedIdentity } from './verified-identity.js';

/** Why a mixed-mode request runs without an identity: it sent no token, or one that has expired. */
export type AnonymousReason = 'no-token' | 'expired';

/**
 * Who is calling, as the bearer guard decided once per request: a verified identity, or (mixed
 * mode only) nobody, with the reason. `authInfo` is the same caller in the MCP SDKs' terms, built
 * here and nowhere else.
 */
export type Caller =
  | { readonly identity: VerifiedIdentity; readonly anonymous?: undefined; readonly authInfo: AuthInfo }
  | { readonly identity?: undefined; readonly anonymous: AnonymousReason; readonly authInfo: AuthInfo };

/** A request after the bearer guard. `auth` is where SDK 1.x's transport looks for `authInfo`. */
export interface CallerRequest extends Request {
  caller?: Caller;
  auth?: AuthInfo;
}

/** Anonymous callers carry nothing of their own, so there is one of each. */
const ANONYMOUS: Record<AnonymousReason, Caller> = {
  'no-token': anonymous('no-token'),
  expired: anonymous('expired'),
};

function anonymous(reason: AnonymousReason): Caller {
  const authInfo: AuthInfo = { token: '', clientId: '', scopes: [] };
  const caller: Caller = { anonymous: reason, authInfo };
  authInfo.extra = caller;
  return caller;
}

/** Sets who is calling; the bearer guard's job, once per request. */
export function setCaller(request: CallerRequest, caller: Caller): void {
  request.caller = caller;
  request.auth = caller.authInfo;
}

export const anonymousCaller = (reason: AnonymousReason): Caller => ANONYMOUS[reason];

export function signedInCaller(identity: VerifiedIdentity, token: string): Caller {
  const authInfo: AuthInfo = {
    token,
    clientId: identity.clientId,
    scopes: [...identity.scopes],
    expiresAt: identity.expiresAt ?? undefined,
  };
  const caller: Caller = { identity, authInfo };
  // The SDKs hand this object back to the request handlers as it is; `extra` leads back to the caller.
  authInfo.extra = caller;
  return caller;
}

/** Who is calling, from a request; undefined before the bearer guard has run (or on other routes). */
export const callerOf = (request: IncomingMessage): Caller | undefined => (request as CallerRequest).caller;

/**
 * Who is calling, from the `authInfo` an SDK hands a request handler; anonymous when there is none.
 * Every `authInfo` here was built above, so its `extra` is the caller.
 */
export const callerFromAuthInfo = (authInfo: AuthInfo | undefined): Caller =>
  (authInfo?.extra as Caller | undefined) ?? ANONYMOUS['no-token'];
