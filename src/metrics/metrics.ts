import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { TokenShape } from '../auth/token-shape.js';
import type { ChallengeReason } from '../errors/errors.js';
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
 * The application's Prometheus metrics, in a registry of its own (not prom-client's global one)
 * so that several applications in one process, as in the tests, never collide. Every label value
 * comes from a closed set or from the route table, which keeps the number of series bounded.
 */
@Injectable()
export class Metrics {
  private readonly registry = new Registry();
  private readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status; MCP requests also by protocol era and version.',
    labelNames: ['method', 'route', 'status', 'era', 'protocol_version'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request arriving to its answer being sent, by method and route pattern; MCP requests also by protocol era and version.',
    labelNames: ['method', 'route', 'era', 'protocol_version'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly authOutcomes = new Counter({
    name: 'mcp_auth_outcomes_total',
    help: 'Bearer token checks on the MCP endpoint, by outcome: success, anonymous, or the reason for refusing.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly verificationDuration = new Histogram({
    name: 'mcp_token_verification_duration_seconds',
    help: 'Time to verify an access token, by token kind and outcome.',
    labelNames: ['token_kind', 'outcome'] as const,
    buckets: [0.0005, ...LATENCY_BUCKETS],
    registers: [this.registry],
  });
  private readonly upstreamCalls = new Counter({
    name: 'mcp_upstream_requests_total',
    help: 'Calls to the authorization server (discovery documents, key set, Clerk Backend API), by outcome.',
    labelNames: ['upstream', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly upstreamDuration = new Histogram({
    name: 'mcp_upstream_request_duration_seconds',
    help: 'Time the authorization server took to answer, by upstream.',
    labelNames: ['upstream'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: 'mcp_cache_lookups_total',
    help: 'Cache lookups, by cache and result (hit or miss).',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });
  private readonly toolCalls = new Counter({
    name: 'mcp_tool_calls_total',
    help: 'MCP tool calls, by tool and outcome.',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly toolDuration = new Histogram({
    name: 'mcp_tool_call_duration_seconds',
    help: 'Time a tool took to answer, by tool.',
    labelNames: ['tool'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * `protocol` is known only for requests the MCP endpoint classified; the others carry no era
   * labels at all rather than a placeholder value.
   */
  httpRequest(method: string, route: string, status: number, seconds: number, protocol?: RequestProtocol): void {
    const era = protocol ? { era: protocol.era, protocol_version: protocol.protocolVersion } : {};
    this.httpRequests.inc({ method, route, status: String(status), ...era });
    this.httpDuration.observe({ method, route, ...era }, seconds);
  }

  authOutcome(outcome: AuthOutcome): void {
    this.authOutcomes.inc({ outcome });
  }

  observeVerification(tokenKind: VerifiedTokenKind, seconds: number, outcome: VerificationOutcome): void {
    this.verificationDuration.observe({ token_kind: tokenKind, outcome }, seconds);
  }

  upstreamCall(upstream: Upstream, outcome: UpstreamOutcome, seconds: number): void {
    this.upstreamCalls.inc({ upstream, outcome });
    this.upstreamDuration.observe({ upstream }, seconds);
  }

  cacheLookup(cache: CacheName, hit: boolean): void {
    this.cacheLookups.inc({ cache, result: hit ? 'hit' : 'miss' });
  }

  toolCall(tool: string, outcome: ToolOutcome, seconds: number): void {
    this.toolCalls.inc({ tool, outcome });
    this.toolDuration.observe({ tool }, seconds);
  }
}
