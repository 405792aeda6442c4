import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';

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
    if (!existing) this.save();
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
    for (const [key, record] of this.records) if (record.expiresAt !== null && record.expiresAt <= now) this.records.delete(key);
  }

  private save(): void {
    const document: StateDocument = { version: 1, signingKey: this.signingKey, cookieSecret: this.cookieSecret, records: Object.fromEntries(this.records) };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(document), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}

function newSigningKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: `embedded-${randomUUID()}`, alg: 'RS256', use: 'sig' };
}
