import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Host, type Notification, Priority } from 'apns2';
import { createPrivateKey, type KeyObject, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApnsEnvironment } from '#contracts';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../config/notifier.config.js';
import { ApnsProviderToken } from './apns-provider-token.js';
import { ApnsSessionPool } from './apns-session-pool.js';
import { ApnsTransportError } from './apns-transport-error.js';

export interface ApnsAnswer {
  status: number;
  apnsId: string | null;
  reason: string | null;
  /** 410 only: when the token stopped being valid, in ms. */
  timestamp: number | null;
  latencyMs: number;
}

/**
 * The one place that talks to APNs. apns2 (pinned at 12.2.0) only builds the notification: its
 * client cannot reach a local endpoint, ignores its requestTimeout, hides apns-id, re-signs the
 * provider token on every ExpiredProviderToken answer, and fails streams a GOAWAY covers. So the
 * token is ours (one per key, refreshed once per expiry), the connections are ours
 * (ApnsSessionPool), and Apple's answers become plain values. Transport failures are thrown as
 * ApnsTransportError carrying the apns-id the request was sent with.
 */
@Injectable()
export class ApnsClientAdapter implements OnApplicationShutdown {
  private readonly logger = new Logger(ApnsClientAdapter.name);
  private readonly pools: Record<ApnsEnvironment, ApnsSessionPool>;
  private readonly token: ApnsProviderToken;

  constructor(@Inject(NOTIFIER_CONFIG) config: NotifierConfig) {
    const key = readApnsKey(config.APNS_KEY_FILE);
    // Both environments accept a token of the same key; one token means one refresh to pace.
    this.token = new ApnsProviderToken(key, config.APNS_KEY_ID, config.APNS_TEAM_ID);
    const ca = config.APNS_CA_FILE ? readFileSync(config.APNS_CA_FILE, 'utf8') : undefined;
    const pool = (host: string) => new ApnsSessionPool(config.APNS_ENDPOINT ?? `https://${host}:443`, config.APNS_REQUEST_TIMEOUT_MS, ca);
    this.pools = { sandbox: pool(Host.development), production: pool(Host.production) };
    if (config.APNS_ENDPOINT) this.logger.warn(`sending every push to ${config.APNS_ENDPOINT} instead of Apple`);
  }

  async send(environment: ApnsEnvironment, notification: Notification): Promise<ApnsAnswer> {
    const apnsId = randomUUID();
    const token = this.token.get();
    const started = performance.now();
    let response;
    try {
      response = await this.pools[environment].request(
        `/3/device/${encodeURIComponent(notification.deviceToken)}`,
        { authorization: `bearer ${token}`, 'apns-id': apnsId, ...notificationHeaders(notification) },
        JSON.stringify(notification.buildApnsOptions()),
      );
    } catch (error) {
      const failure = error instanceof ApnsTransportError ? error : new ApnsTransportError(errorCode(error), String(error));
      failure.apnsId = apnsId;
      throw failure;
    }
    const body = parseBody(response.body);
    const reason = response.status === 200 ? null : typeof body.reason === 'string' ? body.reason : 'UnknownError';
    if (reason === 'ExpiredProviderToken') this.token.expired(token);
    const timestamp = response.status === 410 && Number.isFinite(body.timestamp) ? (body.timestamp as number) : null;
    const answeredId = response.headers['apns-id'];
    return {
      status: response.status,
      apnsId: typeof answeredId === 'string' ? answeredId : apnsId,
      reason,
      timestamp,
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(Object.values(this.pools).map((p) => p.close().catch(() => undefined)));
  }
}

/** The headers apns2 would send for this notification (priority 10 is APNs's default, so left out). */
function notificationHeaders(notification: Notification): Record<string, string> {
  const { topic, expiration, collapseId } = notification.options;
  const headers: Record<string, string> = { 'apns-push-type': notification.pushType };
  if (topic) headers['apns-topic'] = topic;
  if (notification.priority !== Priority.immediate) headers['apns-priority'] = String(notification.priority);
  if (expiration !== undefined)
    headers['apns-expiration'] = (typeof expiration === 'number' ? expiration : expiration.getTime() / 1000).toFixed(0);
  if (collapseId) headers['apns-collapse-id'] = collapseId;
  return headers;
}

function parseBody(body: string): Record<string, unknown> {
  // A 200 has no body; JSON.parse('') would throw, and a throw per delivered push is not free.
  if (body === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const errorCode = (error: unknown) => (error as { code?: string }).code ?? (error instanceof Error ? error.name : 'TransportError');

/** A key that cannot sign would fail every push as a transient error; refuse it at boot instead. */
function readApnsKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`APNS_KEY_FILE ${file} is not a PEM private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`APNS_KEY_FILE ${file} must be Apple's ES256 (P-256) .p8 key`);
  return key;
}
