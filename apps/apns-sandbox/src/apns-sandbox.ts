import { once } from 'node:events';
import { constants, createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { ApnsProviderTokenLedger } from './apns-provider-token-ledger.js';
import { toApnsPublicKey } from './apns-public-key.js';
import type { ApnsRecordedRequest } from './apns-recorded-request.js';
import { createSandboxCertificate } from './apns-sandbox-certificate.js';
import { isInspectionRequest, serveInspection } from './apns-sandbox-inspection.js';
import { ApnsSandboxLog, type ApnsRequestListener, type ApnsRequestPredicate } from './apns-sandbox-log.js';
import type { ApnsSandboxOptions } from './apns-sandbox-options.js';
import { ApnsSandboxScripts } from './apns-sandbox-scripts.js';
import type { ApnsScriptBehaviour } from './apns-script-behaviour.js';
import { handleApnsStream } from './apns-stream-handler.js';

/**
 * An HTTP/2 TLS server that answers like Apple's APNs provider API (development environment),
 * records every request, and lets tests script per-token failures.
 */
export class ApnsSandbox {
  private readonly sessions = new Set<ServerHttp2Session>();
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly server: Http2SecureServer,
    private readonly log: ApnsSandboxLog,
    private readonly scripts: ApnsSandboxScripts,
    private readonly tokens: ApnsProviderTokenLedger,
    /** PEM of the self-signed certificate; pass it as `ca` to the client. */
    readonly ca: string,
    readonly port: number,
    /** `https://<host>:<port>`. */
    readonly url: string,
  ) {
    server.on('session', (session) => {
      this.sessions.add(session);
      // Clients vanishing mid-session is normal for a test server; unhandled, it would crash the process.
      session.on('error', () => undefined);
      session.once('close', () => this.sessions.delete(session));
    });
  }

  static async start(options: ApnsSandboxOptions): Promise<ApnsSandbox> {
    const publicKey = toApnsPublicKey(options.publicKey);
    const rules = { keyId: options.keyId, teamId: options.teamId, publicKey, bundleIds: options.bundleIds ?? null };
    const { key, cert } = await createSandboxCertificate(options.hostnames);
    // HTTP/2 only, like APNs: an HTTP/1.1 client fails the ALPN handshake instead of getting answers.
    const settings = options.maxConcurrentStreams ? { maxConcurrentStreams: options.maxConcurrentStreams } : {};
    const server = createSecureServer({ key, cert, allowHTTP1: false, settings });
    const log = new ApnsSandboxLog();
    const scripts = new ApnsSandboxScripts();
    const tokens = new ApnsProviderTokenLedger();
    server.on('stream', (stream, headers) => {
      // Client-side resets (timeouts, cancelled hung requests) surface here as stream errors.
      stream.on('error', () => undefined);
      if (options.inspection && isInspectionRequest(headers)) return serveInspection(stream, headers, log);
      handleApnsStream(stream, headers, { rules, scripts, log, tokens }).catch((error: unknown) => {
        // A bug here, or a throwing 'request' listener, must neither take the server down nor vanish.
        stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        process.emitWarning(error instanceof Error ? error : String(error), 'ApnsSandboxWarning');
      });
    });
    const host = options.host ?? '127.0.0.1';
    server.listen(options.port ?? 0, host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return new ApnsSandbox(server, log, scripts, tokens, cert, port, url);
  }

  /** A copy of the log, oldest first. */
  get requests(): ApnsRecordedRequest[] {
    return this.log.all();
  }

  requestsFor(token: string): ApnsRecordedRequest[] {
    return this.log.forToken(token);
  }

  /** Resolves with the first recorded request matching, already logged or still to come. */
  waitFor(predicate: ApnsRequestPredicate, timeoutMs = 5000): Promise<ApnsRecordedRequest> {
    return this.log.waitFor(predicate, timeoutMs);
  }

  on(event: 'request', listener: ApnsRequestListener): this {
    this.log.on(listener);
    return this;
  }

  off(event: 'request', listener: ApnsRequestListener): this {
    this.log.off(listener);
    return this;
  }

  /** Overrides the answer to otherwise-valid requests for `token`; replaces any earlier script. */
  script(token: string, behaviour: ApnsScriptBehaviour): void {
    this.scripts.set(token, behaviour);
  }

  unscript(token: string): void {
    this.scripts.delete(token);
  }

  /** Provider tokens accepted so far, oldest first: every one after the first is a refresh. */
  get providerTokens(): string[] {
    return this.tokens.tokens;
  }

  /**
   * Every provider token accepted so far answers 403 ExpiredProviderToken from now on, as after an
   * hour. `staggerMs` answers the n-th such 403 n × staggerMs late, spread out like the answers to
   * many pushes in flight.
   */
  expireProviderTokens(options: { staggerMs?: number } = {}): void {
    this.tokens.expireAll(options.staggerMs);
  }

  /**
   * Enforce Apple's refresh limit: a new provider token within `ms` of the previous new one answers
   * 429 TooManyProviderTokenUpdates (Apple: 20 minutes). 0 turns it off (the default).
   */
  limitProviderTokenRefreshes(ms: number): void {
    this.tokens.limitRefreshes(ms);
  }

  /** Clears the log, all scripts and the provider-token faults. */
  reset(): void {
    this.log.clear();
    this.scripts.clear();
    this.tokens.clear();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.log.abortWaits();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // server.close() waits for sessions to end, and a hung stream never ends on its own.
    for (const session of this.sessions) session.destroy();
    await closed;
  }
}
