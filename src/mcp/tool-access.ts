import type { BearerErrorCode } from '../errors/errors.js';
import type { VerifiedIdentity } from '../auth/verified-identity.js';

/** Whether a caller may run a tool, and if not, what challenge tells it how to. */
export type ToolAccess =
  | { allowed: true; identity: VerifiedIdentity | undefined }
  | { allowed: false; error: BearerErrorCode; description: string; scopes: readonly string[]; signedIn: boolean };
