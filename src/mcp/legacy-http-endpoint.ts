import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Response } from 'express';
import { callerOf, type CallerRequest } from '../auth/caller.js';
import { mcpConfig } from '../config/namespaces.js';
import { JsonRpcHttpError } from '../errors/errors.js';
import { McpServerFactory } from './mcp-server-factory.js';
import { SharedLegacyServer } from './shared-legacy-server.js';

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
  /** Who opened it: the user, through the client the token was issued to. */
  owner: SessionOwner;
  lastSeen: number;
}

interface SessionOwner {
  userId: string;
  clientId: string;
}

/** The owner a request's verified identity speaks for, if any. */
function ownerOf(request: CallerRequest): SessionOwner | undefined {
  const identity = callerOf(request)?.identity;
  return identity ? { userId: identity.userId, clientId: identity.clientId } : undefined;
}

const SESSION_HEADER = 'mcp-session-id';

/**
 * Serves 2025 clients on SDK 1.x. Stateless (the default): JSON answers, nothing kept between
 * requests, so any replica can serve any request; every POST goes to one long-lived server over an
 * in-process transport that answers as the SDK's Streamable HTTP transport does, since connecting
 * and closing a server and a transport per POST cost more than the request. Stateful: the SDK's
 * Streamable HTTP transport, with sessions with GET streams and DELETE, each bound to the user who
 * opened it and the OAuth client they opened it through.
 */
@Injectable()
export class LegacyHttpEndpoint implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LegacyHttpEndpoint.name);
  private readonly sessions = new Map<string, Session>();
  private sweeper?: NodeJS.Timeout;
  /** Stateless mode's one server, connected on first use. */
  private shared?: Promise<SharedLegacyServer>;

  constructor(
    @Inject(mcpConfig.KEY) private readonly mcp: ConfigType<typeof mcpConfig>,
    private readonly servers: McpServerFactory,
  ) {}

  get stateful(): boolean {
    return this.mcp.sessionMode === 'stateful';
  }

  onModuleInit(): void {
    if (!this.stateful) return;
    this.sweeper = setInterval(() => this.closeIdleSessions(), Math.min(this.mcp.sessionIdleMs, 60_000));
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    await (await this.shared)?.close();
    await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
  }

  async post(request: CallerRequest, response: Response, body: unknown): Promise<void> {
    if (!this.stateful) return this.serveOnce(request, response, body);
    const sessionId = request.header(SESSION_HEADER);
    if (sessionId) return this.serveInSession(sessionId, request, response, body);
    if (!isInitializeRequest(body))
      throw new JsonRpcHttpError(
        400,
        -32000,
        'Bad Request: send initialize first, or the Mcp-Session-Id header of an open session.',
      );
    await this.openSession(request, response, body);
  }

  /** GET (the server-to-client stream) and DELETE (end the session) exist only with sessions. */
  async getOrDelete(request: CallerRequest, response: Response): Promise<void> {
    if (!this.stateful)
      throw new JsonRpcHttpError(
        405,
        -32000,
        `Method not allowed: this server is stateless, so ${request.method} has no meaning; use POST.`,
        { Allow: 'POST, OPTIONS' },
      );
    const sessionId = request.header(SESSION_HEADER);
    if (!sessionId) throw new JsonRpcHttpError(400, -32000, 'Bad Request: the Mcp-Session-Id header is required.');
    await this.serveInSession(sessionId, request, response, undefined);
  }

  private async serveOnce(request: CallerRequest, response: Response, body: unknown): Promise<void> {
    this.shared ??= SharedLegacyServer.connect(this.servers.legacy());
    await (await this.shared).handlePost(request, response, body, request.auth);
  }

  private async openSession(request: CallerRequest, response: Response, body: unknown): Promise<void> {
    const owner = ownerOf(request);
    if (!owner) throw new JsonRpcHttpError(401, -32000, 'No verified identity.');
    const server = this.servers.legacy();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, server, owner, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  private async serveInSession(
    sessionId: string,
    request: CallerRequest,
    response: Response,
    body: unknown,
  ): Promise<void> {
    const session = this.sessions.get(sessionId);
    const caller = ownerOf(request);
    // A session opened by someone else, or by the same user through another client, reads as an unknown one.
    if (!session || session.owner.userId !== caller?.userId || session.owner.clientId !== caller.clientId)
      throw new JsonRpcHttpError(404, -32001, 'Session not found: start a new one with initialize.');
    session.lastSeen = Date.now();
    await session.transport.handleRequest(request, response, body);
  }

  private closeIdleSessions(): void {
    const cutoff = Date.now() - this.mcp.sessionIdleMs;
    for (const [id, session] of this.sessions) if (session.lastSeen < cutoff) void this.closeSession(id);
  }

  private async closeSession(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await session.transport
      .close()
      .catch((error: unknown) => this.logger.warn(`Closing session failed: ${String(error)}`));
    await session.server.close().catch(() => undefined);
  }
}
