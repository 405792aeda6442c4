import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CLOCK, type Clock } from '../../auth/clock.js';
import { authConfig } from '../../config/namespaces.js';
import { issuerMatches, supportsPkceS256 } from '../../doctor/checks/authorization-server-rules.js';
import { authorizationServerMetadataUrls } from '../../doctor/checks/authorization-server.js';
import { UpstreamMetadataError } from '../../errors/errors.js';
import { Metrics } from '../../metrics/metrics.js';
import { stopwatch } from '../../metrics/stopwatch.js';
import { AuthorizationServer } from '../provider-seam.js';

export type MetadataKind = 'oauth-authorization-server' | 'openid-configuration';

export type MetadataDocument = Record<string, unknown>;

interface KindState {
  entry?: { document: MetadataDocument; fetchedAt: number };
  refreshing?: Promise<MetadataDocument>;
  /** After a failed refresh, serve what we have without asking again until then. */
  retryAt: number;
}

const RFC8414_REQUIRED = ['issuer', 'authorization_endpoint', 'token_endpoint', 'response_types_supported'];

/** Why a fetched document is unusable, or undefined when it is fine. */
export function findMetadataProblem(
  document: unknown,
  expectedIssuer: string,
  needsJwksUri: boolean,
): string | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return 'the body is not a JSON object';
  const fields = document as MetadataDocument;
  const missing = [...RFC8414_REQUIRED, ...(needsJwksUri ? ['jwks_uri'] : [])].filter(
    (field) => fields[field] === undefined,
  );
  if (missing.length > 0) return `required fields are missing: ${missing.join(', ')}`;
  // The same rules the doctor command applies from outside, so both say the same thing.
  return [issuerMatches(fields, expectedIssuer, 'the configured issuer'), supportsPkceS256(fields)].find(
    (check) => check.status === 'fail',
  )?.seen;
}

/**
 * Where an issuer's metadata may live, in the order the MCP specification has clients try them
 * (the doctor's {@link authorizationServerMetadataUrls}: RFC 8414 with the issuer's path inserted,
 * then OpenID discovery inserted, then appended). The OpenID document is looked for in the OpenID
 * locations first.
 */
export function discoveryUrls(issuer: string, kind: MetadataKind): string[] {
  const [oauthInserted, ...openIdLocations] = authorizationServerMetadataUrls(issuer);
  return kind === 'oauth-authorization-server'
    ? [oauthInserted, ...openIdLocations]
    : [...openIdLocations, oauthInserted];
}

/**
 * The authorization server's discovery documents, found at the issuer and passed through
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

  constructor(
    private readonly server: AuthorizationServer,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
    private readonly metrics: Metrics,
    @Inject(CLOCK) private readonly now: Clock,
  ) {}

  onApplicationBootstrap(): void {
    // An issuer inside this very process is not listening yet.
    if (!this.server.reachableAtStart) return;
    // Warm the cache so the first client does not wait; failures are logged and retried on demand.
    for (const kind of Object.keys(this.states) as MetadataKind[]) this.get(kind).catch(() => undefined);
  }

  async get(kind: MetadataKind): Promise<MetadataDocument> {
    const state = this.states[kind];
    const now = this.now();
    const usable = state.entry && (now - state.entry.fetchedAt < this.auth.asMetadataCacheMs || now < state.retryAt);
    this.metrics.cacheLookup('authorization_server_metadata', Boolean(usable));
    if (usable && state.entry) return state.entry.document;
    state.refreshing ??= this.refresh(kind, state).finally(() => (state.refreshing = undefined));
    return state.refreshing;
  }

  /** The issuer's key set URL, from its metadata. */
  async jwksUri(): Promise<string> {
    const jwksUri = (await this.get('oauth-authorization-server')).jwks_uri;
    if (typeof jwksUri !== 'string')
      throw new UpstreamMetadataError(`The metadata of ${this.server.issuer} has no jwks_uri.`);
    return jwksUri;
  }

  private async refresh(kind: MetadataKind, state: KindState): Promise<MetadataDocument> {
    try {
      const document = await this.discover(kind);
      state.entry = { document, fetchedAt: this.now() };
      state.retryAt = 0;
      return document;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      state.retryAt = this.now() + Math.min(this.auth.asMetadataCacheMs, 30_000);
      if (state.entry) {
        const ageSeconds = Math.round((this.now() - state.entry.fetchedAt) / 1000);
        this.logger.warn(
          `Serving a stale copy (${ageSeconds} s old) of the ${kind} metadata of ${this.server.issuer}: ${reason}`,
        );
        return state.entry.document;
      }
      this.logger.error(`Could not fetch the ${kind} metadata of ${this.server.issuer}: ${reason}`);
      throw new UpstreamMetadataError(`The authorization server's metadata could not be fetched: ${reason}`);
    }
  }

  /** Tries each location in order under one deadline; the first usable document wins. */
  private async discover(kind: MetadataKind): Promise<MetadataDocument> {
    const signal = AbortSignal.timeout(this.auth.upstreamTimeoutMs);
    const failures: string[] = [];
    for (const url of discoveryUrls(this.server.issuer, kind)) {
      try {
        return await this.fetchDocument(url, signal);
      } catch (error) {
        failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
        if (signal.aborted) break;
      }
    }
    throw new Error(failures.join('; '));
  }

  private async fetchDocument(url: string, signal: AbortSignal): Promise<MetadataDocument> {
    const elapsed = stopwatch();
    try {
      const document = await this.fetchAndCheck(url, signal);
      this.metrics.upstreamCall('authorization_server_metadata', 'success', elapsed());
      return document;
    } catch (error) {
      this.metrics.upstreamCall('authorization_server_metadata', signal.aborted ? 'timeout' : 'error', elapsed());
      throw error;
    }
  }

  private async fetchAndCheck(url: string, signal: AbortSignal): Promise<MetadataDocument> {
    const response = await fetch(this.server.fetchUrl(url), {
      headers: { Accept: 'application/json' },
      redirect: 'error',
      signal,
    }).catch((error: unknown) => {
      if (signal.aborted) throw new Error(`no answer within ${this.auth.upstreamTimeoutMs} ms`);
      throw new Error(
        `request failed (${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)})`,
      );
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`it answered HTTP ${response.status}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(await response.text());
    } catch {
      throw new Error('the body is not JSON');
    }
    const problem = findMetadataProblem(document, this.server.issuer, this.server.metadataNamesKeys);
    if (problem) throw new Error(problem);
    return document as MetadataDocument;
  }
}
