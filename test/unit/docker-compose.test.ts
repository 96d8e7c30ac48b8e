import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(__dirname, '../..');
const defaults = JSON.parse(readFileSync(join(root, 'scripts/stack/defaults.json'), 'utf8')) as {
  kafka: { version: string; port: number };
  registry: { version: string; port: number; compatibility: string };
  postgres: { port: number; user: string; password: string; database: string; registryDatabase: string };
};

interface ComposeService {
  image: string;
  ports: string[];
  environment: Record<string, string | number>;
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const hostPorts = (name: string) => service(name).ports.map((mapping) => Number(mapping.split(':')[0]));

describe('docker-compose.yml agrees with the stack script', () => {
  it('offers the same three services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'postgres', 'registry']);
  });

  it('runs the same versions', () => {
    expect(service('kafka').image).toBe(`apache/kafka:${defaults.kafka.version}`);
    expect(service('registry').image).toBe(`apicurio/apicurio-registry:${defaults.registry.version}`);
  });

  it('publishes the same ports on the host', () => {
    expect(hostPorts('kafka')).toEqual([defaults.kafka.port]);
    expect(hostPorts('registry')).toEqual([defaults.registry.port]);
    expect(hostPorts('postgres')).toEqual([defaults.postgres.port]);
    expect(service('kafka').environment['KAFKA_ADVERTISED_LISTENERS']).toContain(`127.0.0.1:${defaults.kafka.port}`);
  });

  it('uses the same credentials, databases and compatibility rule', () => {
    expect(service('postgres').environment).toMatchObject({
      POSTGRES_USER: defaults.postgres.user,
      POSTGRES_PASSWORD: defaults.postgres.password,
      POSTGRES_DB: defaults.postgres.database,
    });
    const registry = service('registry').environment;
    expect(registry['APICURIO_DATASOURCE_URL']).toMatch(new RegExp(`/${defaults.postgres.registryDatabase}$`));
    expect(registry['APICURIO_DATASOURCE_USERNAME']).toBe(defaults.postgres.user);
    expect(registry['JAVA_OPTS_APPEND']).toContain(`compatibility=${defaults.registry.compatibility}`);
    expect(readFileSync(join(root, 'scripts/stack/compose-initdb/01-registry.sql'), 'utf8')).toContain(
      `CREATE DATABASE ${defaults.postgres.registryDatabase} OWNER ${defaults.postgres.user}`,
    );
  });

  it('never lets Kafka create topics on its own', () => {
    expect(service('kafka').environment['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toBe('false');
  });
});
