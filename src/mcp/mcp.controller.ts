import { Body, Controller, Delete, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { BearerAuthGuard, type AuthenticatedRequest } from '../auth/bearer-auth.guard.js';
import { AddressRateLimitGuard, UserRateLimitGuard } from '../rate-limit/rate-limit.guards.js';
import { DnsRebindingGuard } from './dns-rebinding.guard.js';
import { ScopeRequirements } from './scope-requirements.js';
import { StreamableHttpEndpoint } from './streamable-http-endpoint.js';

/**
 * The MCP endpoint. Its path comes from MCP_PATH through the router. The client address is rate
 * limited first, then origin and host are checked, then the token, then the user is rate limited.
 */
@Controller()
@UseGuards(AddressRateLimitGuard, DnsRebindingGuard, BearerAuthGuard, UserRateLimitGuard)
export class McpController {
  constructor(
    private readonly endpoint: StreamableHttpEndpoint,
    private readonly scopes: ScopeRequirements,
  ) {}

  @Post()
  async post(@Req() request: AuthenticatedRequest, @Res() response: Response, @Body() body: unknown): Promise<void> {
    this.scopes.assertGranted(body, request.auth);
    await this.endpoint.post(request, response, body);
  }

  @Get()
  async get(@Req() request: AuthenticatedRequest, @Res() response: Response): Promise<void> {
    await this.endpoint.getOrDelete(request, response);
  }

  @Delete()
  async delete(@Req() request: AuthenticatedRequest, @Res() response: Response): Promise<void> {
    await this.endpoint.getOrDelete(request, response);
  }
}
