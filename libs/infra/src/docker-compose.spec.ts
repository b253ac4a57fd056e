import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CallsConfigSchema } from '../../../apps/calls/src/config/calls.config.js';
import { GatewayConfigSchema } from '../../../apps/gateway/src/config/gateway.config.js';
import { NotifierConfigSchema } from '../../../apps/notifier/src/config/notifier.config.js';
import { ConfigError, loadConfig } from './config-loader.js';

interface Service {
  environment?: Record<string, string>;
  healthcheck?: { test: unknown };
  depends_on?: Record<string, unknown>;
  command?: string[];
  ports?: string[];
  network_mode?: string;
  secrets?: string[];
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  secrets?: Record<string, { file: string }>;
}

const read = (file: string) => parse(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8'), { merge: true }) as ComposeFile;
const base = read('docker-compose.yml');
const prod = read('docker-compose.prod.yml');

/** What an operator puts in prod.env: public names, not localhost. */
const PROD_ENV: Record<string, string> = {
  INTERNAL_API_TOKEN: 'i'.repeat(40),
  ADMIN_API_TOKEN: 'a'.repeat(40),
  AUTH_JWT_SECRET: 'j'.repeat(40),
  RESUME_TOKEN_SECRET: 'r'.repeat(40),
  POSTGRES_PASSWORD: 'p'.repeat(20),
  STUN_URLS: 'stun:turn.example.com:3478',
  TURN_URLS: 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:443?transport=tcp',
  TURN_SECRET: 't'.repeat(40),
  APNS_KEY_ID: 'ABCDE12345',
  APNS_TEAM_ID: 'TEAM123456',
  METRICS_TOKEN: 'm'.repeat(40),
  GRAFANA_ADMIN_PASSWORD: 'g'.repeat(20),
};

/**
 * Interpolates the way compose does: ${VAR:-default} and ${VAR:?error}; `vars` are what is set.
 * A required variable that is not set is an error, as it is for `docker compose up`.
 */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest = '') => {
    if (vars[name] !== undefined) return vars[name];
    if (kind === '?') throw new Error(`${name} is required: ${rest}`);
    return kind === '-' ? rest : '';
  });
}

/** One service as `docker compose -f a -f b` sees it: environment maps merged, ports added, command replaced. */
const merged = (name: string, files: ComposeFile[]): Service =>
  files.reduce<Service>((acc, file) => {
    const s = file.services[name] ?? {};
    const ports = [...(acc.ports ?? []), ...(s.ports ?? [])];
    return { ...acc, ...s, environment: { ...acc.environment, ...s.environment }, ...(ports.length ? { ports } : {}) };
  }, {});

const envOf = (service: Service, vars: Record<string, string>) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));

const apps = [
  ['calls', CallsConfigSchema],
  ['gateway', GatewayConfigSchema],
  ['notifier', NotifierConfigSchema],
] as const;
/** What the app's boot would refuse: its schema, and in production the secrets rule. */
function problems(schema: (typeof apps)[number][1], env: Record<string, string>): string[] {
  try {
    loadConfig(schema, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('docker-compose.yml (development: `docker compose up` with nothing to add)', () => {
  it('runs postgres, redis, coturn, the APNs sandbox and the three apps, each with a health check', () => {
    for (const name of ['postgres', 'redis', 'coturn', 'apns-sandbox', 'calls', 'gateway', 'notifier'])
      expect(base.services[name]?.healthcheck?.test).toBeDefined();
  });

  it.each(apps)('gives %s a configuration its boot validation accepts', (name, schema) => {
    expect(problems(schema, envOf(merged(name, [base]), {}))).toEqual([]);
  });

  it('needs no file on the host, and sends pushes to the sandbox', () => {
    expect(base.secrets).toBeUndefined();
    expect(Object.values(base.services).flatMap((s) => s.secrets ?? [])).toEqual([]);
    expect(envOf(merged('notifier', [base]), {}).APNS_ENDPOINT).toBe('https://apns-sandbox:8443');
    expect(base.services['apns-sandbox']?.environment?.APNS_SANDBOX_HOSTNAMES).toBe('apns-sandbox');
  });

  it("publishes coturn's port and its whole relay range instead of using host networking", () => {
    const coturn = merged('coturn', [base]);
    expect(Object.values(base.services).map((s) => s.network_mode)).not.toContain('host');
    const ports = (coturn.ports ?? []).map((p) => interpolate(p, {}));
    expect(ports).toEqual(expect.arrayContaining(['3478:3478/udp', '3478:3478/tcp', '49160-49200:49160-49200/udp']));
    const command = (coturn.command ?? []).map((c) => interpolate(c, {}));
    expect(command).toEqual(expect.arrayContaining(['--min-port=49160', '--max-port=49200', '--external-ip=127.0.0.1']));
  });

  it('keeps the calls app (admin API and /internal) on this machine', () => {
    expect(base.services.calls?.ports).toEqual(['127.0.0.1:3001:3001']);
  });

  it('runs Redis with an append-only file fsynced every second, on a volume', () => {
    const command = base.services.redis?.command ?? [];
    expect(command.join(' ')).toContain('--appendonly yes --appendfsync everysec');
  });

  it("runs Prometheus and Grafana, on this machine only, with the repo's scrape config and dashboard", () => {
    expect(base.services.prometheus?.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(base.services.grafana?.ports).toEqual(['127.0.0.1:3003:3000']);
    expect(base.services.prometheus?.healthcheck?.test).toBeDefined();
    expect(base.services.grafana?.healthcheck?.test).toBeDefined();
  });

  it('migrates before the calls app starts', () => {
    expect(base.services.calls?.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
  });
});

describe('docker-compose.prod.yml (with -f on top of docker-compose.yml)', () => {
  const files = [base, prod];

  it.each(apps)('gives %s a configuration its boot validation accepts from prod.env', (name, schema) => {
    expect(problems(schema, envOf(merged(name, files), PROD_ENV))).toEqual([]);
  });

  it.each(['gateway', 'calls'] as const)(
    'gives %s the key of the identity provider prod.env names, and refuses to boot with none',
    (name) => {
      const schema = name === 'gateway' ? GatewayConfigSchema : CallsConfigSchema;
      const { AUTH_JWT_SECRET: _, ...withoutKey } = PROD_ENV;
      expect(problems(schema, envOf(merged(name, files), withoutKey))).toEqual([
        'AUTH_JWT_SECRET: set AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL',
      ]);
      const jwks = { ...withoutKey, AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' };
      expect(problems(schema, envOf(merged(name, files), jwks))).toEqual([]);
    },
  );

  it.each(['INTERNAL_API_TOKEN', 'RESUME_TOKEN_SECRET', 'TURN_SECRET', 'TURN_URLS'])(
    'refuses to start without %s rather than use a placeholder',
    (name) => {
      const { [name]: _, ...vars } = PROD_ENV;
      expect(() => envOf(merged('gateway', files), vars)).toThrow(new RegExp(`${name} is required`));
    },
  );

  it('runs in production, where the development placeholders are refused', () => {
    const env = envOf(merged('calls', files), { ...PROD_ENV, ADMIN_API_TOKEN: 'change-me-admin-token' });
    expect(env.NODE_ENV).toBe('production');
    expect(problems(CallsConfigSchema, env)).toEqual([expect.stringMatching(/^ADMIN_API_TOKEN: is an example value/)]);
  });

  it('pushes to Apple with the key from a compose secret, and leaves the sandbox off', () => {
    const notifier = merged('notifier', files);
    const env = NotifierConfigSchema.parse(envOf(notifier, PROD_ENV));
    expect(env).toMatchObject({ APNS_KEY_FILE: '/run/secrets/apns_key', APNS_ENDPOINT: undefined, APNS_CA_FILE: undefined });
    expect(notifier.secrets).toEqual(['apns_key']);
    expect(prod.secrets?.apns_key?.file).toMatch(/\$\{APNS_KEY_PATH:\?/);
    expect(prod.services['apns-sandbox']?.profiles).toEqual(['apns-sandbox']);
  });

  it('serves TURN over TLS with the certificate from compose secrets, and refuses loopback TURN URLs', () => {
    const coturn = merged('coturn', files);
    expect(coturn.ports).toContain('5349:5349/tcp');
    expect(coturn.command).toEqual(
      expect.arrayContaining(['--tls-listening-port=5349', '--cert=/run/secrets/turn_cert', '--pkey=/run/secrets/turn_key']),
    );
    expect(coturn.secrets).toEqual(['turn_cert', 'turn_key']);
    expect(prod.secrets?.turn_cert?.file).toMatch(/\$\{TURN_CERT_PATH:\?/);
    const local = { ...PROD_ENV, TURN_URLS: 'turn:localhost:3478?transport=udp' };
    expect(problems(GatewayConfigSchema, envOf(merged('gateway', files), local))).toEqual([
      'TURN_URLS: names localhost, which phones cannot reach: use the public host name',
    ]);
  });

  it('asks for a metrics token on every app, and Prometheus presents it', () => {
    for (const [name] of apps) expect(envOf(merged(name, files), PROD_ENV).METRICS_TOKEN).toBe(PROD_ENV.METRICS_TOKEN);
    const { METRICS_TOKEN: _, ...vars } = PROD_ENV;
    expect(() => envOf(merged('gateway', files), vars)).toThrow(/METRICS_TOKEN is required/);
    expect(prod.services.prometheus?.secrets).toEqual(['metrics_token']);
  });

  it('runs coturn with the public IP and relay range the operator gives', () => {
    const vars = {
      ...PROD_ENV,
      TURN_EXTERNAL_IP: '203.0.113.7',
      TURN_MIN_PORT: '49160',
      TURN_MAX_PORT: '50159',
      TURN_REALM: 'turn.example.com',
    };
    const command = (merged('coturn', files).command ?? []).map((c) => interpolate(c, vars));
    expect(command).toEqual(expect.arrayContaining(['--external-ip=203.0.113.7', '--min-port=49160', '--max-port=50159']));
    const ports = (merged('coturn', files).ports ?? []).map((p) => interpolate(p, vars));
    expect(ports).toContain('49160-50159:49160-50159/udp');
    expect(() => interpolate(merged('coturn', files).command!.join(' '), PROD_ENV)).toThrow(/TURN_EXTERNAL_IP is required/);
  });
});
