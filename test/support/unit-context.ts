import type { DynamicModule } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { Request } from 'express';
import type { CallerRequest } from '../../src/auth/caller.js';
import { loadAppConfig } from '../../src/config/app-config.js';
import { ConfigModule } from '../../src/config/config.module.js';
import type { RawEnvironment } from '../../src/config/environment.js';
import type { VerifiedIdentity } from '../../src/auth/verified-identity.js';

/** Where the units under test believe they are served. */
export const TEST_BASE_URL = 'http://localhost:3000';
export const TEST_RESOURCE = `${TEST_BASE_URL}/mcp`;

/** The one global configuration module, validated from `env` as the application validates it. */
export function configModule(env: RawEnvironment = {}): Promise<DynamicModule> {
  return ConfigModule.forRoot(loadAppConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: TEST_BASE_URL, ...env }));
}

/** A verified identity as a verifier returns it; `overrides` change what a test is about. */
export function identityWith(overrides: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
  return {
    userId: 'user_test',
    clientId: 'client_test',
    scopes: ['profile', 'email'],
    expiresAt: Math.floor(Date.now() / 1000) + 600,
    audience: [TEST_RESOURCE],
    tokenKind: 'jwt',
    ...overrides,
  };
}

/**
 * The parts of an Express request the guard and the error filter read: headers (raw and parsed),
 * the query, the path and the content type.
 */
export function requestTo(
  path: string,
  headers: Record<string, string> = {},
  { method = 'POST', query = {} }: { method?: string; query?: Record<string, string> } = {},
): CallerRequest {
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const request = {
    method,
    path,
    // As Express reads it: the query is parsed from the URL.
    url: Object.keys(query).length > 0 ? `${path}?${new URLSearchParams(query).toString()}` : path,
    query,
    headers: lowerCased,
    header: (name: string) => lowerCased[name.toLowerCase()],
    rawHeaders: Object.entries(headers).flat(),
    is: (type: string) => (lowerCased['content-type']?.startsWith(type) ? type : false),
  };
  return request as unknown as CallerRequest;
}

/** What a filter wrote to the response: its status, headers and JSON body. */
export class RecordedResponse {
  statusCode = 200;
  headersSent = false;
  ended = false;
  readonly headers: Record<string, string> = {};
  body: unknown;

  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  /** The error filter writes its JSON itself, through `end()`; the body is recorded parsed. */
  end(chunk?: string): this {
    if (chunk !== undefined) {
      this.body = JSON.parse(chunk);
      this.headersSent = true;
    }
    this.ended = true;
    return this;
  }
}

/** The execution context Nest hands guards and filters for an HTTP request. */
export function httpContext(request: CallerRequest | Request, response = new RecordedResponse()): ExecutionContextHost {
  const context = new ExecutionContextHost([request, response]);
  context.setType('http');
  return context;
}
