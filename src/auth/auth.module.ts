import { Module, type DynamicModule } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { AudiencePolicy } from './audience-policy.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';

/**
 * Bearer-token authentication for the MCP endpoint: the guard and the audience policy, over the
 * selected provider's {@link AccessTokenVerifier}. The guard is exported with what it injects, so
 * a controller can name it in `@UseGuards`.
 */
@Module({})
export class AuthModule {
  static forRoot(providerModule: DynamicModule): DynamicModule {
    return {
      module: AuthModule,
      imports: [providerModule, MetricsModule],
      providers: [AudiencePolicy, BearerAuthGuard],
      exports: [BearerAuthGuard, AudiencePolicy, providerModule, MetricsModule],
    };
  }
}
