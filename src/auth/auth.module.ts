import { Module, type DynamicModule } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { AudiencePolicy } from './audience-policy.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';

/**
 * Bearer-token authentication for the MCP endpoint: the guard and the audience policy, over the
 * selected provider's AccessTokenVerifier. Nest builds a guard named in `@UseGuards` in the
 * controller's module, so the guard is exported with what it injects (Metrics aside: the
 * controller's module imports MetricsModule for its own use).
 */
@Module({})
export class AuthModule {
  static forRoot(providerModule: DynamicModule): DynamicModule {
    return {
      module: AuthModule,
      imports: [providerModule, MetricsModule],
      providers: [AudiencePolicy, BearerAuthGuard],
      exports: [BearerAuthGuard, AudiencePolicy, providerModule],
    };
  }
}
