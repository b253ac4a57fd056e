/**
 * Where Bull keeps a deployment's queues in Redis: under its key prefix, and on a cluster inside a
 * hash tag, because Bull's Lua scripts touch several keys of a queue at once and a cluster runs a
 * script only when all its keys share a slot.
 */
export const bullPrefix = (redisPrefix: string, cluster: boolean): string => (cluster ? `{${redisPrefix}bull}` : `${redisPrefix}bull`);
