import { type DynamicModule, Module } from '@nestjs/common';
import { ObservabilityModule, type ObservabilityOptions } from '@hookstream/observability';

@Module({})
export class DispatcherModule {
  static forRoot(observability: ObservabilityOptions): DynamicModule {
    return {
      module: DispatcherModule,
      imports: [ObservabilityModule.forRoot(observability)],
    };
  }
}
