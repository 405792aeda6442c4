import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig } from './app-config.js';

const APP_CONFIG_KEY = 'app';

/**
 * Global configuration. The environment is validated once, before any module is built (the MCP
 * route path depends on it); Nest's ConfigService holds the result and {@link AppConfig} is
 * injected from it as typed values.
 */
@Module({})
export class ConfigModule {
  static async forRoot(config: AppConfig): Promise<DynamicModule> {
    const nestConfig = await NestConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      load: [() => ({ [APP_CONFIG_KEY]: config })],
    });
    return {
      module: ConfigModule,
      global: true,
      imports: [nestConfig],
      providers: [
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (configService: ConfigService): AppConfig => configService.getOrThrow<AppConfig>(APP_CONFIG_KEY),
        },
      ],
      exports: [AppConfig],
    };
  }
}
