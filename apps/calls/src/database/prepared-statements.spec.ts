import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { TEST_POSTGRES_URL } from '#testing';
import { PreparingClient, prepared } from './prepared-statements.js';

/** Against a real Postgres: the session's own view of what it has prepared is the proof. */
describe('PreparingClient', () => {
  const client: pg.Client = new PreparingClient({ connectionString: TEST_POSTGRES_URL });
  const MARKED = prepared('SELECT $1::int + 1 AS next');
  const preparedTexts = async () =>
    (await client.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map((r) => r.statement);

  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it('runs a marked statement as a named one, prepared once for the connection, with the same results', async () => {
    expect((await client.query(MARKED, [1])).rows).toEqual([{ next: 2 }]);
    expect((await client.query(MARKED, [41])).rows).toEqual([{ next: 42 }]);
    expect((await preparedTexts()).filter((t) => t === MARKED)).toHaveLength(1);
  });

  it('leaves unmarked statements unnamed, so their plans follow their values', async () => {
    const unmarked = 'SELECT $1::int * 2 AS twice';
    expect((await client.query(unmarked, [21])).rows).toEqual([{ twice: 42 }]);
    expect(await preparedTexts()).not.toContain(unmarked);
  });
});
