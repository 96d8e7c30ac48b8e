import type { Admin } from 'kafkajs';

export function kafkaReadiness(admin: Admin) {
  return {
    name: 'kafka',
    check: async (): Promise<void> => {
      await admin.describeCluster();
    },
  };
}

export function schemaRegistryReadiness(registryUrl: string) {
  return {
    name: 'schema-registry',
    check: async (): Promise<void> => {
      const response = await fetch(`${registryUrl.replace(/\/$/, '')}/subjects`, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) throw new Error(`schema registry answered ${response.status}`);
    },
  };
}
