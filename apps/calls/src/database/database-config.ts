import { z } from 'zod';
import { DEFAULT_DATABASE_URL, env } from '#infra';

/** What the migration runner and the TypeORM CLI need; the app's own schema reuses the same rule. */
export const DatabaseConfigSchema = z.object({ DATABASE_URL: env.url(['postgres', 'postgresql'], DEFAULT_DATABASE_URL) });
