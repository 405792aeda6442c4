import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { TokenShape } from '../auth/token-shape.js';
import type { ChallengeReason } from '../errors/errors.js';
import { CountedCounter, CountedHistogram } from './counted-metrics.js';
import type { RequestProtocol } from './request-protocol.js';

/**
 * What became of a request's credentials: a token accepted, no usable token but let through
 * anonymously (MCP_AUTH_MODE=mixed), refused for one of the challenge reasons, or not checkable.
 */
export type AuthOutcome = 'success' | 'anonymous' | ChallengeReason | 'upstream_error';
export type VerificationOutcome = 'valid' | 'invalid' | 'upstream_error';
export type VerifiedTokenKind = TokenShape;
/** Calls to the authorization server: its discovery documents, its key set, Clerk's Backend API. */
export type Upstream = 'authorization_server_metadata' | 'jwks' | 'clerk_backend_api';
export type UpstreamOutcome = 'success' | 'error' | 'timeout';
export type CacheName = 'opaque_token' | 'authorization_server_metadata';
export type ToolOutcome =
  'success' | 'error' | 'invalid_arguments' | 'access_denied' | 'upstream_unavailable' | 'failed' | 'unknown_tool';

/** Tool names come from clients; an unknown one is counted under this label so clients cannot mint series. */
export const UNKNOWN_TOOL = '(unknown)';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The application's Prometheus metrics. They are counted by this class (counted-metrics.ts) and
 * rendered ahead of prom-client's default process metrics, which live in a registry of this
 * application's own (not prom-client's global one) so that several applications in one process,
 * as in the tests, never collide. Every label value comes from a closed set or from the route
 * table, which keeps the number of series bounded.
 */
@Injectable()
export class Metrics {
  private readonly registry = new Registry();
  private readonly httpRequests = new CountedCounter(
    'http_requests_total',
    'HTTP requests answered, by method, route pattern and status; MCP requests also by protocol era and version.',
    ['method', 'route', 'status', 'era', 'protocol_version'],
  );
  private readonly httpDuration = new CountedHistogram(
    'http_request_duration_seconds',
    'Time from the request arriving to its answer being sent, by method and route pattern; MCP requests also by protocol era and version.',
    ['method', 'route', 'era', 'protocol_version'],
    LATENCY_BUCKETS,
  );
  private readonly authOutcomes = new CountedCounter(
    'mcp_auth_outcomes_total',
    'Bearer token checks on the MCP endpoint, by outcome: success, anonymous, or the reason for refusing.',
    ['outcome'],
  );
  private readonly verificationDuration = new CountedHistogram(
    'mcp_token_verification_duration_seconds',
    'Time to verify an access token, by token kind and outcome.',
    ['token_kind', 'outcome'],
    [0.0005, ...LATENCY_BUCKETS],
  );
  private readonly upstreamCalls = new CountedCounter(
    'mcp_upstream_requests_total',
    'Calls to the authorization server (discovery documents, key set, Clerk Backend API), by outcome.',
    ['upstream', 'outcome'],
  );
  private readonly upstreamDuration = new CountedHistogram(
    'mcp_upstream_request_duration_seconds',
    'Time the authorization server took to answer, by upstream.',
    ['upstream'],
    LATENCY_BUCKETS,
  );
  private readonly cacheLookups = new CountedCounter(
    'mcp_cache_lookups_total',
    'Cache lookups, by cache and result (hit or miss).',
    ['cache', 'result'],
  );
  private readonly toolCalls = new CountedCounter('mcp_tool_calls_total', 'MCP tool calls, by tool and outcome.', [
    'tool',
    'outcome',
  ]);
  private readonly toolDuration = new CountedHistogram(
    'mcp_tool_call_duration_seconds',
    'Time a tool took to answer, by tool.',
    ['tool'],
    LATENCY_BUCKETS,
  );
  /** In the order they are rendered, the order they were registered in when prom-client counted them. */
  private readonly counted = [
    this.httpRequests,
    this.httpDuration,
    this.authOutcomes,
    this.verificationDuration,
    this.upstreamCalls,
    this.upstreamDuration,
    this.cacheLookups,
    this.toolCalls,
    this.toolDuration,
  ];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text format, metrics separated by blank lines as prom-client separates them. */
  async render(): Promise<string> {
    const counted = this.counted.map((metric) => metric.render()).join('\n\n');
    return `${counted}\n\n${await this.registry.metrics()}`;
  }

  /**
   * `protocol` is known only for requests the MCP endpoint classified; the others carry no era
   * labels at all rather than a placeholder value.
   */
  httpRequest(method: string, route: string, status: number, seconds: number, protocol?: RequestProtocol): void {
    const era = protocol?.era;
    const version = protocol?.protocolVersion;
    this.httpRequests.inc([method, route, statusText(status), era, version]);
    this.httpDuration.observe([method, route, era, version], seconds);
  }

  authOutcome(outcome: AuthOutcome): void {
    this.authOutcomes.inc([outcome]);
  }

  observeVerification(tokenKind: VerifiedTokenKind, seconds: number, outcome: VerificationOutcome): void {
    this.verificationDuration.observe([tokenKind, outcome], seconds);
  }

  upstreamCall(upstream: Upstream, outcome: UpstreamOutcome, seconds: number): void {
    this.upstreamCalls.inc([upstream, outcome]);
    this.upstreamDuration.observe([upstream], seconds);
  }

  cacheLookup(cache: CacheName, hit: boolean): void {
    this.cacheLookups.inc([cache, hit ? 'hit' : 'miss']);
  }

  toolCall(tool: string, outcome: ToolOutcome, seconds: number): void {
    this.toolCalls.inc([tool, outcome]);
    this.toolDuration.observe([tool], seconds);
  }
}

/** Status codes as label values, formatted once each. */
const STATUS_TEXTS = new Map<number, string>();
function statusText(status: number): string {
  let text = STATUS_TEXTS.get(status);
  if (text === undefined) {
    text = String(status);
    STATUS_TEXTS.set(status, text);
  }
  return text;
}
