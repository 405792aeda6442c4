import { Body, Controller, Delete, Get, Patch, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import type { CallerRequest } from '../auth/caller.js';
import { JsonRpcHttpError } from '../errors/errors.js';
import { recordRequestProtocol } from '../metrics/request-protocol.js';
import { AddressRateLimitGuard, UserRateLimitGuard } from '../rate-limit/rate-limit.guards.js';
import { DnsRebindingGuard } from './dns-rebinding.guard.js';
import { LegacyHttpEndpoint } from './legacy-http-endpoint.js';
import { ModernHttpEndpoint } from './modern-http-endpoint.js';
import { classifyMcpRequest, type ClassifiedMcpRequest } from './protocol-eras.js';
import { paramsProblemAnsweredFirst } from './request-params.js';
import { ToolAccessGuard } from './tool-access.guard.js';

/**
 * The MCP endpoint, for both protocol eras. Its path comes from MCP_PATH through the router. The
 * client address is rate limited first, then origin and host are checked, then the token, then the
 * user is rate limited, then (required mode) the scopes of the tools called: all before the era
 * matters, so auth answers the same in both. Then the official SDK's classifier picks the era:
 * 2026-07-28 requests go to SDK 2.x, 2025 ones to SDK 1.x.
 */
@Controller()
@UseGuards(AddressRateLimitGuard, DnsRebindingGuard, BearerAuthGuard, UserRateLimitGuard, ToolAccessGuard)
export class McpController {
  constructor(
    private readonly legacy: LegacyHttpEndpoint,
    private readonly modern: ModernHttpEndpoint,
  ) {}

  @Post()
  async post(@Req() request: CallerRequest, @Res() response: Response, @Body() body: unknown): Promise<void> {
    const classified = classifyMcpRequest(request, body);
    recordRequestProtocol(request, classified);
    if (this.refusedParams(request, response, body, classified)) return;
    if (classified.era === 'modern') await this.modern.post(request, response, body, classified.outcome);
    else await this.legacy.post(request, response, body);
  }

  @Get()
  async get(@Req() request: CallerRequest, @Res() response: Response): Promise<void> {
    await this.getOrDelete(request, response);
  }

  @Delete()
  async delete(@Req() request: CallerRequest, @Res() response: Response): Promise<void> {
    await this.getOrDelete(request, response);
  }

  /** Neither era uses them; answered here so that clients learn which methods it takes, instead of a 404. */
  @Put()
  put(@Req() request: CallerRequest): never {
    throw this.methodNotAllowed(request);
  }

  @Patch()
  patch(@Req() request: CallerRequest): never {
    throw this.methodNotAllowed(request);
  }

  private methodNotAllowed(request: CallerRequest): JsonRpcHttpError {
    const allow = this.legacy.stateful ? 'GET, POST, DELETE, OPTIONS' : 'POST, OPTIONS';
    return new JsonRpcHttpError(405, -32000, `Method not allowed: ${request.method}; use ${allow}.`, { Allow: allow });
  }

  /**
   * Answers malformed params in-band with a short -32602, as a handler would, so the SDKs' validators
   * never put their issue lists on the wire. A batch has no one id to answer with, so it gets a 400.
   */
  private refusedParams(
    request: CallerRequest,
    response: Response,
    body: unknown,
    classified: ClassifiedMcpRequest,
  ): boolean {
    const problem = paramsProblemAnsweredFirst(request, body, classified);
    if (problem === undefined) return false;
    if (Array.isArray(body)) throw new JsonRpcHttpError(400, -32602, problem);
    response
      .status(200)
      .json({ jsonrpc: '2.0', id: (body as { id: unknown }).id, error: { code: -32602, message: problem } });
    return true;
  }

  /** The modern era has no GET stream and no sessions to end, whatever the session mode. */
  private async getOrDelete(request: CallerRequest, response: Response): Promise<void> {
    const classified = classifyMcpRequest(request, undefined);
    recordRequestProtocol(request, classified);
    if (classified.era === 'modern')
      throw new JsonRpcHttpError(
        405,
        -32000,
        `Method not allowed: protocol ${classified.protocolVersion} has no ${request.method}; send every request as a POST.`,
        {
          Allow: 'POST, OPTIONS',
        },
      );
    await this.legacy.getOrDelete(request, response);
  }
}
