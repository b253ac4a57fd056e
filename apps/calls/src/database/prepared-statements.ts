import pg from 'pg';

/** Each marked statement's text and the name it is prepared under, on every pool connection. */
const names = new Map<string, string>();

/**
 * Marks a hot path's statement to run as a named (server-side prepared) statement, and returns it
 * unchanged. Postgres then parses it once per connection and, after a few runs, reuses a generic
 * plan instead of planning every call: a quarter less Postgres CPU per call (docs/performance.md,
 * section 4). Only for statements whose best plan does not depend on their values, such as lookups
 * and writes by key; a history filter over rare values needs its custom plan every time.
 */
export function prepared(sql: string): string {
  if (!names.has(sql)) names.set(sql, `calls_${names.size + 1}`);
  return sql;
}

/**
 * node-postgres's client, naming the statements marked by `prepared`: TypeORM hands the driver a
 * text and its values, with no way to name them. Given to the pool as `extra.Client`.
 */
export class PreparingClient extends pg.Client {
  /** Returns what pg's `query` returns; typed `never` so that it fits every one of pg's overloads. */
  override query(...args: unknown[]): never {
    const [text, values, ...rest] = args;
    const name = typeof text === 'string' && Array.isArray(values) ? names.get(text) : undefined;
    const call = super.query as (...a: unknown[]) => never;
    return name ? call.call(this, { name, text, values }, ...rest) : call.apply(this, args);
  }
}
