import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ShutdownModule } from '../shutdown/shutdown.module.js';
import { HealthController } from './health.controller.js';
import { Readiness } from './readiness.js';

/**
 * /healthz and /readyz, readiness asking the selected provider for its checks. Terminus' failure
 * log is off: it would log every probe; the provider's checks log changes.
 */
@Module({})
export class HealthModule {
  static forRoot(providerModule: DynamicModule): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ShutdownModule, providerModule],
      controllers: [HealthController],
      providers: [Readiness],
    };
  }
}
