import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { loadAppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import type { RawEnvironment } from './config/environment.js';
import { ErrorsModule } from './errors/errors.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityToolsModule } from './identity-tools/identity-tools.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { McpModule } from './mcp/mcp.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { AuthProviderModule } from './providers/auth-provider.module.js';
import { ShutdownModule } from './shutdown/shutdown.module.js';
import { StatusToolsModule } from './status-tools/status-tools.module.js';
import { WellKnownModule } from './well-known/well-known.module.js';

export interface AppModuleOptions {
  /** The variables to read; defaults to the process environment. Tests pass their own. */
  env?: RawEnvironment;
}

@Module({})
export class AppModule {
  /**
   * Validates the configuration first: a bad value stops the start with a message naming it. The
   * authorization provider it selects is built once and handed to the modules that use it.
   */
  static async forRoot(options: AppModuleOptions = {}): Promise<DynamicModule> {
    const config = loadAppConfig(options.env ?? process.env);
    const providerModule = await AuthProviderModule.forRoot(config.auth.provider);
    const mcp = McpModule.forRoot(providerModule);
    return {
      module: AppModule,
      imports: [
        await ConfigModule.forRoot(config),
        ErrorsModule,
        LoggingModule,
        MetricsModule,
        ShutdownModule,
        providerModule,
        HealthModule.forRoot(providerModule),
        WellKnownModule.forRoot(providerModule),
        mcp,
        IdentityToolsModule.forRoot(providerModule),
        StatusToolsModule,
        RouterModule.register([{ path: config.server.mcpPath, module: McpModule }]),
      ],
    };
  }
}
