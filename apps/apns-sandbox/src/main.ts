import { writeFile } from 'node:fs/promises';
import { ConfigError, createLogger, explainStartupError, loadConfig, stopWithParent } from '#infra';
import { ApnsSandbox } from './apns-sandbox.js';
import { ApnsSandboxConfigSchema, type ApnsSandboxConfig } from './config/apns-sandbox.config.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function fail(message: string): never {
  console.error(`[apns-sandbox] ${message}`);
  process.exit(1);
}

stopWithParent();
let config: ApnsSandboxConfig;
try {
  config = loadConfig(ApnsSandboxConfigSchema, process.env);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : explainStartupError(error));
}

const logger = createLogger('apns-sandbox', config.LOG_FORMAT);
const sandbox = await ApnsSandbox.start({
  port: config.APNS_SANDBOX_PORT,
  host: config.APNS_SANDBOX_HOST,
  hostnames: config.APNS_SANDBOX_HOSTNAMES,
  keyId: config.APNS_KEY_ID,
  teamId: config.APNS_TEAM_ID,
  publicKey: config.APNS_SANDBOX_PUBLIC_KEY_FILE,
  inspection: true,
}).catch((error: unknown) => fail(`failed to start on ${config.APNS_SANDBOX_HOST}:${config.APNS_SANDBOX_PORT}: ${messageOf(error)}`));

const caFile = config.APNS_SANDBOX_CA_FILE;
if (caFile) {
  await writeFile(caFile, sandbox.ca).catch((error: unknown) => fail(`APNS_SANDBOX_CA_FILE: cannot write ${caFile}: ${messageOf(error)}`));
}

sandbox.on('request', (request) => {
  const result = request.outcome === 'answered' ? `${request.status} ${request.reason ?? ''}` : request.outcome;
  logger.log(`${request.method} ${request.path} -> ${result.trim()}`, 'apns-sandbox');
});
logger.log(
  `APNs sandbox on ${sandbox.url}${caFile ? ` (CA in ${caFile})` : ''}; log at GET ${sandbox.url}/sandbox/requests?token=<hex>`,
  'apns-sandbox',
);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.log(`${signal}: closing`, 'apns-sandbox');
    void sandbox.close().then(() => process.exit(0));
  });
}
