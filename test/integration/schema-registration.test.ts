// Registering against the real registry: apps starting at the same moment on a fresh registry all
// register the same subjects, and each sets the compatibility of a subject it found new.
import { createSchemaRegistry, registerAvroSchema } from '@hookstream/kafka';
import { cleanUp } from '../support/clean-up';
import { stackEnv, uniqueName } from '../support/stack';

const prefix = uniqueName('it-registration');

afterAll(() => cleanUp(prefix, []));

it('registers one new subject from several clients at once: every one gets the same id, none fails', async () => {
  const topic = `${prefix}.concurrent`;
  const schema = {
    type: 'record',
    name: 'Concurrent',
    namespace: 'hookstream.test',
    fields: [{ name: 'a', type: 'string' }],
  };
  // Separate clients: no shared cache, as in separate processes.
  const registered = await Promise.all(
    Array.from({ length: 4 }, () => registerAvroSchema(createSchemaRegistry(stackEnv.registryUrl), topic, schema)),
  );
  expect(new Set(registered.map(({ id }) => id)).size).toBe(1);
  expect(registered[0]?.subject).toBe(`${topic}-hookstream.test.Concurrent`);
});
