import type { Admin } from 'kafkajs';

export function kafkaReadiness(admin: Admin) {
  return {
    name: 'kafka',
    check: async (): Promise<void> => {
      await admin.describeCluster();
    },
  };
}

/**
 * The registry answers. Once the app has started, its schemas are registered and held in memory (or
 * came from the persisted cache), so it can work without the registry: then the check passes, but
 * says `degraded` with the reason, rather than taking the app out of service.
 */
export function schemaRegistryReadiness(registryUrl: string, { startedWithSchemas = false } = {}) {
  return {
    name: 'schema-registry',
    check: async (): Promise<void | { degraded: string }> => {
      try {
        const response = await fetch(`${registryUrl.replace(/\/$/, '')}/subjects`, {
          signal: AbortSignal.timeout(2000),
        });
        if (!response.ok) throw new Error(`schema registry answered ${response.status}`);
      } catch (error) {
        if (!startedWithSchemas) throw error;
        return { degraded: `unreachable (${(error as Error).message}); working from cached schemas` };
      }
    },
  };
}
