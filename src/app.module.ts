import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import { AppConfig, loadAppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import type { RawEnvironment } from './config/environment.js';
import { ErrorsModule } from './errors/errors.module.js';
import { HealthModule } from './health/health.module.js';
import { IdentityToolsModule } from './identity-tools/identity-tools.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { McpModule } from './mcp/mcp.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ShutdownModule } from './shutdown/shutdown.module.js';
import { StatusToolsModule } from './status-tools/status-tools.module.js';
import { WellKnownModule } from './well-known/well-known.module.js';

export interface AppModuleOptions {
  /** The variables to read; defaults to the process environment. Tests pass their own. */
  env?: RawEnvironment;
}

@Module({})
export class AppModule {
  /** Validates the configuration first: a bad value stops the start with a message naming it. */
  static async forRoot(options: AppModuleOptions = {}): Promise<DynamicModule> {
    const config: AppConfig = loadAppConfig(options.env ?? process.env);
    return {
      module: AppModule,
      imports: [
        await ConfigModule.forRoot(config),
        ErrorsModule,
        LoggingModule,
        MetricsModule,
        ShutdownModule,
        HealthModule,
        WellKnownModule,
        AuthModule.forRoot(config.authProvider),
        // Loaded only when used: oidc-provider is large, and warns about Node 20 whenever it is loaded.
        ...(config.authProvider === 'embedded' ? [(await import('./embedded-auth/embedded-auth.module.js')).EmbeddedAuthModule] : []),
        McpModule,
        IdentityToolsModule.forRoot(config.authProvider),
        StatusToolsModule,
        RouterModule.register([{ path: config.mcpPath, module: McpModule }]),
      ],
    };
  }
}
