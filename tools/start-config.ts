/**
 * What `npm start` reads. Imports only files without Nest so the launcher can bundle it and check
 * ports, Postgres and Redis before anything is built (libs/infra's index would pull in Nest).
 */
import { z } from 'zod';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, env } from '../libs/infra/src/config-loader.js';

const port = z.coerce.number().int().min(0).max(65535);

export const StartConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv(),
    HOST: z.string().default('127.0.0.1'),
    DATABASE_URL: env.url(['postgres', 'postgresql'], DEFAULT_DATABASE_URL),
    REDIS_URL: env.url(['redis', 'rediss'], DEFAULT_REDIS_URL),
    /** PORT is what IDEs and hosting panels set: it means the gateway, the one port people open. */
    PORT: port.optional(),
    GATEWAY_PORT: port.optional(),
    CALLS_PORT: env.port(3001),
    NOTIFIER_PORT: env.port(3002),
    APNS_SANDBOX_PORT: env.port(8443),
    /** Set (with APNS_KEY_ID and APNS_TEAM_ID) to push through Apple; unset, pushes go to the APNs sandbox. */
    APNS_KEY_FILE: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.PORT !== undefined && c.GATEWAY_PORT !== undefined && c.PORT !== c.GATEWAY_PORT)
      ctx.addIssue({
        code: 'custom',
        path: ['PORT'],
        message: `is the gateway's port under npm start, and GATEWAY_PORT says ${c.GATEWAY_PORT}: set one`,
      });
  })
  .transform(({ PORT, GATEWAY_PORT, ...rest }) => ({ ...rest, GATEWAY_PORT: GATEWAY_PORT ?? PORT ?? 3000 }));
export type StartConfig = z.infer<typeof StartConfigSchema>;

/** Every port `npm start` listens on, named by the variable that sets it (for a clear conflict message). */
export function portsOf(config: StartConfig): { variable: string; port: number }[] {
  return [
    { variable: 'GATEWAY_PORT', port: config.GATEWAY_PORT },
    { variable: 'CALLS_PORT', port: config.CALLS_PORT },
    { variable: 'NOTIFIER_PORT', port: config.NOTIFIER_PORT },
    ...(config.APNS_KEY_FILE ? [] : [{ variable: 'APNS_SANDBOX_PORT', port: config.APNS_SANDBOX_PORT }]),
  ];
}
