import pg from 'pg';
import { DataSource } from 'typeorm';
import { ConfigError, explainStartupError, loadConfig } from '#infra';
import { databaseOptions } from './database-options.js';
import { DatabaseConfigSchema } from './database-config.js';

/** Creates the database if it does not exist. Safe to run concurrently: a lost race is a no-op. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // duplicate_database: another process won the race
    });
    return true;
  } finally {
    await client.end();
  }
}

export async function migrate(url: string): Promise<string[]> {
  await ensureDatabase(url);
  const dataSource = new DataSource(databaseOptions(url));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  try {
    const { DATABASE_URL } = loadConfig(DatabaseConfigSchema);
    const applied = await migrate(DATABASE_URL);
    console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `migration failed: ${explainStartupError(error)}`);
    process.exit(1);
  }
}
