import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { env } from '#infra';
import { toApnsPublicKey } from '../apns-public-key.js';

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A PEM file holding the provider key (public, or the .p8 itself); read and checked at boot. */
const providerKeyFile = nonEmpty.transform((path, ctx) => {
  try {
    return toApnsPublicKey(readFileSync(path, 'utf8'));
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot use ${path}: ${error instanceof Error ? error.message : String(error)}` });
    return z.NEVER;
  }
});

export const ApnsSandboxConfigSchema = z.object({
  APNS_SANDBOX_PORT: env.port(8443),
  APNS_SANDBOX_HOST: nonEmpty.default('127.0.0.1'),
  /** Comma-separated DNS names its certificate also covers, when clients reach it by name (Docker Compose). */
  APNS_SANDBOX_HOSTNAMES: env.list(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be host names')),
  APNS_KEY_ID: nonEmpty,
  APNS_TEAM_ID: nonEmpty,
  APNS_SANDBOX_PUBLIC_KEY_FILE: providerKeyFile,
  /** Where to write the sandbox's CA certificate for clients (e.g. the notifier) to trust. */
  APNS_SANDBOX_CA_FILE: nonEmpty.optional(),
  LOG_FORMAT: env.logFormat(),
});
export type ApnsSandboxConfig = z.infer<typeof ApnsSandboxConfigSchema>;
