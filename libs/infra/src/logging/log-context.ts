import { AsyncLocalStorage } from 'node:async_hooks';

/** The fields every log line written on behalf of one request or job carries, as fields. */
export interface LogFields {
  requestId?: string;
  callId?: string;
  userId?: string;
  deviceId?: string;
}

const storage = new AsyncLocalStorage<LogFields>();

/**
 * Runs `work` with these fields attached to each log line it writes, however deep and however
 * async: no logger or id has to be passed down. Fields already in scope are kept unless replaced.
 */
export function withLogContext<T>(fields: LogFields, work: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...fields } : fields, work);
}

/** The fields in scope, or undefined outside any request or job. */
export function logContext(): LogFields | undefined {
  return storage.getStore();
}
