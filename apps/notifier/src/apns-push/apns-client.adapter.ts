import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ApnsClient, ApnsError, Host, type Notification } from 'apns2';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import type { ApnsEnvironment } from '#contracts';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../config/notifier.config.js';

export interface ApnsAnswer {
  status: number;
  apnsId: string | null;
  reason: string | null;
  /** 410 only: when the token stopped being valid, in ms. */
  timestamp: number | null;
  latencyMs: number;
}

interface Exchange {
  apnsId: string;
  answeredApnsId: string | null;
}

const exchanges = new AsyncLocalStorage<Exchange>();

/**
 * apns2 sends no `apns-id` and hides the response headers, so its pool is replaced by this subclass,
 * which stamps our id on the request and reads Apple's back. A subclass (not a wrapper) keeps
 * apns2's keep-alive pings, which read the pool's private fields, working.
 */
class StampingPool extends Pool {
  override request(options: Parameters<Pool['request']>[0]): ReturnType<Pool['request']> {
    const exchange = exchanges.getStore();
    if (exchange) options.headers = { ...(options.headers as Record<string, string>), 'apns-id': exchange.apnsId };
    return super.request(options).then((response) => {
      if (exchange) exchange.answeredApnsId = (response.headers['apns-id'] as string | undefined) ?? null;
      return response;
    }) as ReturnType<Pool['request']>;
  }
}

/**
 * The one place that knows apns2 (pinned at 12.2.0). It reaches a local endpoint (apns2 has no port
 * option), enforces our request timeout (apns2 ignores requestTimeout), multiplexes requests over one
 * HTTP/2 connection per environment (apns2 opens up to 32 with one stream each), and turns Apple's
 * answers into plain values. Transport failures (timeout, reset, GOAWAY) are thrown.
 */
@Injectable()
export class ApnsClientAdapter implements OnApplicationShutdown {
  private readonly logger = new Logger(ApnsClientAdapter.name);
  private readonly clients: Record<ApnsEnvironment, ApnsClient>;

  constructor(@Inject(NOTIFIER_CONFIG) config: NotifierConfig) {
    const signingKey = readFileSync(config.APNS_KEY_FILE, 'utf8');
    assertApnsKey(signingKey, config.APNS_KEY_FILE);
    const ca = config.APNS_CA_FILE ? readFileSync(config.APNS_CA_FILE, 'utf8') : undefined;
    const build = (host: string) => {
      const client = new ApnsClient({ team: config.APNS_TEAM_ID, keyId: config.APNS_KEY_ID, signingKey, host });
      const origin = config.APNS_ENDPOINT ?? `https://${host}:443`;
      replacePool(
        client,
        new StampingPool(origin, {
          allowH2: true,
          connections: 1,
          pipelining: 100,
          headersTimeout: config.APNS_REQUEST_TIMEOUT_MS,
          bodyTimeout: config.APNS_REQUEST_TIMEOUT_MS,
          connect: ca ? { ca, servername: 'localhost' } : undefined,
        }),
      );
      return client;
    };
    this.clients = { sandbox: build(Host.development), production: build(Host.production) };
    if (config.APNS_ENDPOINT) this.logger.warn(`sending every push to ${config.APNS_ENDPOINT} instead of Apple`);
  }

  async send(environment: ApnsEnvironment, notification: Notification): Promise<ApnsAnswer> {
    const exchange: Exchange = { apnsId: randomUUID(), answeredApnsId: null };
    const started = performance.now();
    const answer = (status: number, reason: string | null, timestamp: number | null): ApnsAnswer => ({
      status,
      apnsId: exchange.answeredApnsId ?? exchange.apnsId,
      reason,
      timestamp,
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
    });
    try {
      await exchanges.run(exchange, () => this.clients[environment].send(notification));
      return answer(200, null, null);
    } catch (error) {
      if (!(error instanceof ApnsError)) throw error;
      const timestamp = error.statusCode === 410 && Number.isFinite(error.timestamp) ? error.timestamp : null;
      return answer(error.statusCode, error.reason, timestamp);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(Object.values(this.clients).map((c) => c.close().catch(() => undefined)));
  }
}

/** apns2's `client` is readonly only in its types. If an upgrade changes it, fail loudly at boot. */
function replacePool(client: ApnsClient, pool: Pool): void {
  const current: unknown = (client as unknown as { client?: unknown }).client;
  if (!(current instanceof Pool))
    throw new Error(
      'apns2 canary: ApnsClient.client is no longer an undici Pool; the APNs adapter must be revisited before upgrading apns2.',
    );
  void current.close();
  Object.defineProperty(client, 'client', { value: pool, writable: false, configurable: true });
}

/** A key apns2 cannot sign with would fail every push as a transient error; refuse it at boot instead. */
function assertApnsKey(pem: string, file: string): void {
  let curve: string | undefined;
  try {
    curve = createPrivateKey(pem).asymmetricKeyDetails?.namedCurve;
  } catch (error) {
    throw new Error(`APNS_KEY_FILE ${file} is not a PEM private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (curve !== 'prime256v1') throw new Error(`APNS_KEY_FILE ${file} must be Apple's ES256 (P-256) .p8 key`);
}
