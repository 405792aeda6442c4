import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { UpstreamMetadataError } from '../errors/errors.js';

export type MetadataKind = 'oauth-authorization-server' | 'openid-configuration';

type MetadataDocument = Record<string, unknown>;

interface CacheEntry {
  document: MetadataDocument;
  fetchedAt: number;
}

interface KindState {
  entry?: CacheEntry;
  refreshing?: Promise<MetadataDocument>;
  /** After a failed refresh, serve what we have without asking again until then. */
  retryAt: number;
}

const RFC8414_REQUIRED = ['issuer', 'authorization_endpoint', 'token_endpoint', 'response_types_supported'];

/** Why a fetched document is unusable, or undefined when it is fine. */
export function findMetadataProblem(document: unknown, expectedIssuer: string): string | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return 'the body is not a JSON object';
  const fields = document as MetadataDocument;
  const missing = RFC8414_REQUIRED.filter((field) => fields[field] === undefined);
  if (missing.length > 0) return `required fields are missing: ${missing.join(', ')}`;
  if (fields.issuer !== expectedIssuer) return `its issuer ${JSON.stringify(fields.issuer)} is not the configured issuer ${expectedIssuer}`;
  const methods = fields.code_challenge_methods_supported;
  if (!Array.isArray(methods) || !methods.includes('S256')) return 'code_challenge_methods_supported does not include S256, so clients would refuse it';
  return undefined;
}

/**
 * The authorization server's discovery documents, fetched from the issuer and passed through
 * unchanged. Each is validated, cached for the configured time, served stale (with a warning)
 * while the issuer fails, and fetched under a deadline so a slow issuer never holds a client.
 */
@Injectable()
export class AuthorizationServerMetadata implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthorizationServerMetadata.name);
  private readonly states: Record<MetadataKind, KindState> = {
    'oauth-authorization-server': { retryAt: 0 },
    'openid-configuration': { retryAt: 0 },
  };

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    // Warm the cache so the first client does not wait; failures are logged and retried on demand.
    for (const kind of Object.keys(this.states) as MetadataKind[]) this.get(kind).catch(() => undefined);
  }

  async get(kind: MetadataKind): Promise<MetadataDocument> {
    const state = this.states[kind];
    const now = Date.now();
    if (state.entry && now - state.entry.fetchedAt < this.config.asMetadataCacheMs) return state.entry.document;
    if (state.entry && now < state.retryAt) return state.entry.document;
    state.refreshing ??= this.refresh(kind, state).finally(() => (state.refreshing = undefined));
    return state.refreshing;
  }

  private async refresh(kind: MetadataKind, state: KindState): Promise<MetadataDocument> {
    const url = `${this.config.issuer}/.well-known/${kind}`;
    try {
      const document = await this.fetchDocument(url);
      state.entry = { document, fetchedAt: Date.now() };
      state.retryAt = 0;
      return document;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      state.retryAt = Date.now() + Math.min(this.config.asMetadataCacheMs, 30_000);
      if (state.entry) {
        const ageSeconds = Math.round((Date.now() - state.entry.fetchedAt) / 1000);
        this.logger.warn(`Serving a stale copy (${ageSeconds} s old) of ${url}: ${reason}`);
        return state.entry.document;
      }
      this.logger.error(`Could not fetch ${url}: ${reason}`);
      throw new UpstreamMetadataError(`The authorization server's metadata could not be fetched from ${url}: ${reason}`);
    }
  }

  private async fetchDocument(url: string): Promise<MetadataDocument> {
    const response = await fetch(url, {
      headers: { Accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.config.upstreamTimeoutMs),
    }).catch((error: unknown) => {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
        throw new Error(`no answer within ${this.config.upstreamTimeoutMs} ms`);
      throw new Error(`request failed (${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)})`);
    });
    if (!response.ok) throw new Error(`it answered HTTP ${response.status}`);
    const text = await response.text();
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new Error('the body is not JSON');
    }
    const problem = findMetadataProblem(document, this.config.issuer);
    if (problem) throw new Error(problem);
    return document as MetadataDocument;
  }
}
