import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CallsConfigSchema } from '../../../apps/calls/src/config/calls.config.js';
import { GatewayConfigSchema } from '../../../apps/gateway/src/config/gateway.config.js';
import { NotifierConfigSchema } from '../../../apps/notifier/src/config/notifier.config.js';

// No Docker engine runs here, so the compose file is checked the way the apps would see it:
// every app service must pass its app's own boot-time config validation.
const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    { environment?: Record<string, string>; healthcheck?: { test: unknown }; depends_on?: Record<string, unknown>; command?: string[] }
  >;
};
const envOf = (service: string) => {
  // Resolve ${VAR:-default} the way compose does when VAR is unset.
  const raw = compose.services[service]?.environment ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
};

describe('docker-compose.yml', () => {
  it('runs postgres, redis, coturn and the three apps, each with a health check', () => {
    for (const name of ['postgres', 'redis', 'coturn', 'calls', 'gateway', 'notifier'])
      expect(compose.services[name]?.healthcheck?.test).toBeDefined();
  });

  it.each([
    ['calls', CallsConfigSchema],
    ['gateway', GatewayConfigSchema],
    ['notifier', NotifierConfigSchema],
  ] as const)('gives %s a configuration its boot validation accepts', (service, schema) => {
    const result = schema.safeParse(envOf(service));
    expect(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });

  it('runs Redis with an append-only file fsynced every second, on a volume', () => {
    const command = compose.services.redis?.command ?? [];
    expect(command.join(' ')).toContain('--appendonly yes --appendfsync everysec');
  });

  it('migrates before the calls app starts', () => {
    expect(compose.services.calls?.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
  });
});
