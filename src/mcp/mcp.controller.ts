import { Body, Controller, Delete, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { BearerAuthGuard, type AuthenticatedRequest } from '../auth/bearer-auth.guard.js';
import { ScopeRequirements } from './scope-requirements.js';
import { StreamableHttpEndpoint } from './streamable-http-endpoint.js';

/** The MCP endpoint. Its path comes from MCP_PATH through the router; every method needs a token. */
@Controller()
@UseGuards(BearerAuthGuard)
export class McpController {
  constructor(
    private readonly endpoint: StreamableHttpEndpoint,
    private readonly scopes: ScopeRequirements,
  ) {}

  @Post()
  async post(@Req() request: AuthenticatedRequest, @Res() response: Response, @Body() body: unknown): Promise<void> {
    this.scopes.assertGranted(body, request.auth?.scopes ?? []);
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
