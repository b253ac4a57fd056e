import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { ApnsSandbox } from '../apns-sandbox.js';
import type { ApnsRecordedRequest } from '../apns-recorded-request.js';
import type { ApnsSandboxOptions } from '../apns-sandbox-options.js';
import { http2Exchange, type Http2Answer } from './http2-exchange.js';
import { signProviderToken } from './provider-token.js';

export const KEY_ID = 'ABC123DEFG';
export const TEAM_ID = 'TEAM123456';
export const BUNDLE = 'com.example.app';
export const TOKEN = 'a1'.repeat(32);
export const OTHER_TOKEN = 'b2'.repeat(32);

/** A request as a test describes it; `undefined` header values are left out. */
export interface PushSpec {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** A sandbox on port 0 with its own P-256 provider key and one trusted HTTP/2 session. */
export class SandboxFixture {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  sandbox!: ApnsSandbox;
  session!: ClientHttp2Session;

  constructor() {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  async start(options: Partial<ApnsSandboxOptions> = {}): Promise<void> {
    this.sandbox = await ApnsSandbox.start({ keyId: KEY_ID, teamId: TEAM_ID, publicKey: this.publicKey, bundleIds: [BUNDLE], ...options });
    this.session = connect(this.sandbox.url, { ca: this.sandbox.ca });
  }

  async stop(): Promise<void> {
    this.session?.close();
    await this.sandbox?.close();
  }

  providerToken(iat?: number, key: KeyObject = this.privateKey, ids = { keyId: KEY_ID, teamId: TEAM_ID }): Promise<string> {
    return signProviderToken(key, { ...ids, iat });
  }

  /** A VoIP push the sandbox accepts, with some headers replaced (or removed with `undefined`). */
  async validPush(overrides: Record<string, string | undefined> = {}, body?: string): Promise<PushSpec> {
    return {
      headers: {
        ':method': 'POST',
        ':path': `/3/device/${TOKEN}`,
        authorization: `bearer ${await this.providerToken()}`,
        'apns-topic': `${BUNDLE}.voip`,
        'apns-push-type': 'voip',
        'apns-priority': '10',
        'apns-expiration': '0',
        ...overrides,
      },
      body: body ?? JSON.stringify({ aps: {}, callId: 'call-1' }),
    };
  }

  send(spec: PushSpec, session: ClientHttp2Session = this.session, timeoutMs?: number): Promise<Http2Answer> {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(spec.headers)) if (value !== undefined) headers[name] = value;
    return http2Exchange(session, headers, spec.body, timeoutMs);
  }

  async sendValid(overrides: Record<string, string | undefined> = {}, body?: string): Promise<Http2Answer> {
    return this.send(await this.validPush(overrides, body));
  }

  last(): ApnsRecordedRequest | undefined {
    return this.sandbox.requests.at(-1);
  }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
