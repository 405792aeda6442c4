import { Module, type DynamicModule } from '@nestjs/common';
import { ProtectedResourceMetadata } from './protected-resource-metadata.js';
import { ServiceDescriptionController } from './service-description.controller.js';
import { WellKnownController } from './well-known.controller.js';

/** RFC 9728 protected-resource metadata, and the selected provider's authorization-server documents. */
@Module({})
export class WellKnownModule {
  static forRoot(providerModule: DynamicModule): DynamicModule {
    return {
      module: WellKnownModule,
      imports: [providerModule],
      controllers: [WellKnownController, ServiceDescriptionController],
      providers: [ProtectedResourceMetadata],
    };
  }
}
