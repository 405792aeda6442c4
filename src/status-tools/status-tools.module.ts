import { Module } from '@nestjs/common';
import { ServerStatusTool } from './server-status.tool.js';

/** Tools useful before signing in. */
@Module({ providers: [ServerStatusTool] })
export class StatusToolsModule {}
