import { dropDatabase } from './drop-database';

const refused = (code: string) => Object.assign(new Error(`refused (${code})`), { code });
const AUTOVACUUM_IN_THE_WAY = refused('42501');
const SESSIONS_CONNECTED = refused('55006');

/** A connection answering each statement with the next scripted outcome (undefined: success). */
function scripted(...outcomes: (Error | undefined)[]) {
  const statements: string[] = [];
  return {
    statements,
    query: async (sql: string) => {
      statements.push(sql);
      const outcome = outcomes.shift();
      if (outcome) throw outcome;
    },
  };
}

const FORCE = 'DROP DATABASE IF EXISTS bench_db WITH (FORCE)';
const PLAIN = 'DROP DATABASE IF EXISTS bench_db';

describe('dropDatabase', () => {
  it('drops with FORCE, ending the sessions still connected', async () => {
    const client = scripted(undefined);
    await dropDatabase(client, 'bench_db');
    expect(client.statements).toEqual([FORCE]);
  });

  it('falls back to a plain DROP, which may cancel autovacuum, when FORCE may not signal a worker', async () => {
    const client = scripted(AUTOVACUUM_IN_THE_WAY, undefined);
    await dropDatabase(client, 'bench_db');
    expect(client.statements).toEqual([FORCE, PLAIN]);
  });

  it('goes back to FORCE when a session connected meanwhile', async () => {
    const client = scripted(AUTOVACUUM_IN_THE_WAY, SESSIONS_CONNECTED, undefined);
    await dropDatabase(client, 'bench_db');
    expect(client.statements).toEqual([FORCE, PLAIN, FORCE]);
  });

  it('gives up after five rounds with the last refusal', async () => {
    const client = scripted(...Array.from({ length: 5 }, () => [AUTOVACUUM_IN_THE_WAY, SESSIONS_CONNECTED]).flat());
    await expect(dropDatabase(client, 'bench_db')).rejects.toBe(AUTOVACUUM_IN_THE_WAY);
    expect(client.statements.filter((sql) => sql === FORCE)).toHaveLength(5);
  });

  it('passes any other failure on at once', async () => {
    const client = scripted(refused('3D000'));
    await expect(dropDatabase(client, 'bench_db')).rejects.toMatchObject({ code: '3D000' });
    expect(client.statements).toEqual([FORCE]);
    const plainFails = scripted(AUTOVACUUM_IN_THE_WAY, refused('XX000'));
    await expect(dropDatabase(plainFails, 'bench_db')).rejects.toMatchObject({ code: 'XX000' });
  });

  it('refuses a name that is not a plain identifier', async () => {
    const client = scripted();
    await expect(dropDatabase(client, 'x; DROP TABLE y')).rejects.toThrow('not a safe database name');
    expect(client.statements).toEqual([]);
  });
});
