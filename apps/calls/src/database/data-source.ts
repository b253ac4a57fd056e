import { DataSource } from 'typeorm';
import { loadConfig } from '#infra';
import { databaseOptions } from './database-options.js';
import { DatabaseConfigSchema } from './database-config.js';

/** For the TypeORM CLI (`npm run typeorm -- migration:generate ...`), which needs a default export. */
export default new DataSource(databaseOptions(loadConfig(DatabaseConfigSchema).DATABASE_URL));
