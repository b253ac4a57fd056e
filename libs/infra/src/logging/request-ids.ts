import { randomBytes } from 'node:crypto';

// A random prefix per process and a counter: unique across nodes and restarts, and far cheaper
// than a UUID for every relayed message.
const prefix = randomBytes(6).toString('base64url');
let counter = 0;

/** A fresh request id, e.g. for each client message or handshake. */
export function nextRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${counter.toString(36)}`;
}
