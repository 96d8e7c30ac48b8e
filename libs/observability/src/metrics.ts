import { collectDefaultMetrics, Registry } from 'prom-client';

/** Each app's metrics registry: process metrics plus its own, every name prefixed `hookstream_`. */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: 'hookstream_' });
  return registry;
}
