import type { ErrorBody } from '../errors/app-error.js';

/** Every client → server message is answered through its Socket.IO acknowledgement with one of these. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export const ok = <T>(data: T): Ack<T> => ({ ok: true, data });
export const fail = (error: ErrorBody): Ack<never> => ({ ok: false, error });
