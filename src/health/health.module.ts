import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ClockModule } from '../auth/clock.js';
import { AuthorizationServerModule } from '../authorization-server/authorization-server.module.js';
import { ShutdownModule } from '../shutdown/shutdown.module.js';
import { HealthController } from './health.controller.js';
import { ConfigurationCheck } from './configuration-check.js';
import { Readiness } from './readiness.js';

/** /healthz and /readyz. Terminus' failure log is off: it would log every probe; {@link Readiness} logs changes. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), AuthorizationServerModule, ClockModule, ShutdownModule],
  controllers: [HealthController],
  providers: [Readiness, ConfigurationCheck],
})
export class HealthModule {}
