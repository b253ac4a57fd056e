import { z } from 'zod';

/** Matrix's party_id alphabet: safe in room names, Redis keys, URLs and logs. */
const OPAQUE_ID = /^[A-Za-z0-9._~-]+$/;

export const UserId = z.string().min(1).max(128).regex(OPAQUE_ID, 'must use only A-Z a-z 0-9 . _ ~ -');
export const DeviceId = z.string().min(1).max(128).regex(OPAQUE_ID, 'must use only A-Z a-z 0-9 . _ ~ -');
export const IdempotencyKey = z.string().min(8).max(128).regex(OPAQUE_ID, 'must use only A-Z a-z 0-9 . _ ~ -');
/** Lowercased on the way in: Swift's UUID().uuidString is uppercase, and ids are compared as text. */
export const CallId = z.uuid().transform((id) => id.toLowerCase());
export const DisplayName = z.string().min(1).max(256);

export type UserId = z.infer<typeof UserId>;
export type DeviceId = z.infer<typeof DeviceId>;
export type CallId = z.infer<typeof CallId>;
