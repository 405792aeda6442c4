import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule as NestConfigModule, registerAs, type ConfigObject } from '@nestjs/config';
import type { AppConfig } from './app-config.js';
import { CONFIG_NAMESPACES } from './namespaces.js';

/**
 * Configuration, the one global module. The environment is validated once, before any module is
 * built (the MCP route path and the provider depend on it); each namespace is then registered
 * with `registerAs`, so consumers inject just their slice: `@Inject(mcpConfig.KEY)`.
 */
@Module({})
export class ConfigModule {
  static async forRoot(config: AppConfig): Promise<DynamicModule> {
    const nestConfig = await NestConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      // `clerk` is undefined under other providers; nothing outside the Clerk provider injects it.
      load: CONFIG_NAMESPACES.map(({ namespace }) => registerAs(namespace, () => config[namespace] as ConfigObject)),
    });
    return { module: ConfigModule, imports: [nestConfig], exports: [nestConfig] };
  }
}
