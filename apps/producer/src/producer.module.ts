import { type DynamicModule, Module } from '@nestjs/common';
import { ObservabilityModule, type ObservabilityOptions } from '@hookstream/observability';

@Module({})
export class ProducerModule {
  static forRoot(observability: ObservabilityOptions): DynamicModule {
    return {
      module: ProducerModule,
      imports: [ObservabilityModule.forRoot(observability)],
    };
  }
}
