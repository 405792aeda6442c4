import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isNativeError } from 'node:util/types';
import type { JWK } from 'jose';
import { ConfigurationError } from '../../config/environment.js';

export interface StoredRecord {
  payload: Record<string, unknown>;
  /** Epoch milliseconds; null never expires. */
  expiresAt: number | null;
}

interface StateDocument {
  version: 1;
  signingKey: JWK;
  cookieSecret: string;
  records: Record<string, StoredRecord>;
}

/**
 * The embedded authorization server's state on disk: its signing key (so tokens survive a
 * restart), its cookie secret, and its registrations and grants (so clients that cached their
 * registration keep working). Written whole, atomically, readable by the owner only.
 */
export class EmbeddedStateFile {
  readonly signingKey: JWK;
  readonly cookieSecret: string;
  private readonly records: Map<string, StoredRecord>;

  constructor(private readonly path: string) {
    const existing = this.read();
    this.signingKey = existing?.signingKey ?? newSigningKey();
    this.cookieSecret = existing?.cookieSecret ?? randomBytes(32).toString('base64url');
    this.records = new Map(Object.entries(existing?.records ?? {}));
    this.dropExpired();
    // Written at every start, so that a folder it cannot write in stops the start, not the first sign-in.
    try {
      this.save();
    } catch (error) {
      if (isSystemError(error)) throw new StateFileNotWritableError(path, error);
      throw error;
    }
  }

  get(key: string): StoredRecord | undefined {
    const record = this.records.get(key);
    if (record && record.expiresAt !== null && record.expiresAt <= Date.now()) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  entries(): IterableIterator<[string, StoredRecord]> {
    return this.records.entries();
  }

  set(key: string, record: StoredRecord): void {
    this.records.set(key, record);
    this.save();
  }

  delete(keys: string[]): void {
    let changed = false;
    for (const key of keys) changed = this.records.delete(key) || changed;
    if (changed) this.save();
  }

  private read(): StateDocument | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    const document = JSON.parse(text) as StateDocument;
    if (document.version !== 1 || typeof document.signingKey?.d !== 'string')
      throw new Error(`${this.path} is not an embedded authorization server state file; move it away to start afresh.`);
    return document;
  }

  private dropExpired(): void {
    const now = Date.now();
    for (const [key, record] of this.records)
      if (record.expiresAt !== null && record.expiresAt <= now) this.records.delete(key);
  }

  private save(): void {
    const document: StateDocument = {
      version: 1,
      signingKey: this.signingKey,
      cookieSecret: this.cookieSecret,
      records: Object.fromEntries(this.records),
    };
    makeFolder(dirname(this.path));
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(document), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}

function newSigningKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...(privateKey.export({ format: 'jwk' }) as JWK),
    kid: `embedded-${randomUUID()}`,
    alg: 'RS256',
    use: 'sig',
  };
}

/**
 * The state file's folder cannot be written, typically a read-only root filesystem (a container run
 * with --read-only, a Deployment with readOnlyRootFilesystem). One line saying why, and the two fixes.
 */
export class StateFileNotWritableError extends ConfigurationError {
  constructor(path: string, cause: NodeJS.ErrnoException) {
    const folder = dirname(path);
    super([
      `EMBEDDED_AUTH_STATE_FILE: the embedded authorization server cannot write its state file ${path}: ` +
        `${whyNotWritable(folder, cause)}. ` +
        `Fix: mount a writable volume at ${folder} (an emptyDir in Kubernetes, --tmpfs or -v with docker run), ` +
        'or set EMBEDDED_AUTH_STATE_FILE to a writable path.',
    ]);
    this.name = 'StateFileNotWritableError';
    this.cause = cause;
  }
}

function whyNotWritable(folder: string, cause: NodeJS.ErrnoException): string {
  switch (cause.code) {
    case 'EROFS':
      return `${folder} is on a read-only filesystem (EROFS)`;
    case 'EACCES':
    case 'EPERM':
      return `user ${process.getuid?.() ?? 'running this server'} may not write in ${folder} (${cause.code})`;
    case 'ENOTDIR':
      return `${nearestNonFolder(folder) ?? folder} is a file, not a folder (ENOTDIR)`;
    case 'ENOENT':
      return `${folder} does not exist and cannot be created (ENOENT)`;
    default:
      return cause.message;
  }
}

/** The existing part of `folder`'s path that is not a folder, if any. */
function nearestNonFolder(folder: string): string | undefined {
  for (let candidate = folder; candidate !== dirname(candidate); candidate = dirname(candidate)) {
    const stats = statSync(candidate, { throwIfNoEntry: false });
    if (stats) return stats.isDirectory() ? undefined : candidate;
  }
  return undefined;
}

/**
 * Creates `folder` and its missing parents one at a time. Node's recursive mkdir answers ENOENT on a
 * read-only filesystem, hiding the cause; a plain mkdir of the first missing folder says EROFS.
 */
function makeFolder(folder: string): void {
  if (existsSync(folder)) return;
  makeFolder(dirname(folder));
  mkdirSync(folder, { mode: 0o700 });
}

// isNativeError rather than instanceof: it holds across realms (Jest runs our code in a VM context).
const isSystemError = (error: unknown): error is NodeJS.ErrnoException =>
  isNativeError(error) && typeof (error as NodeJS.ErrnoException).code === 'string';
