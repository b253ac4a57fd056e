import type { KeyObject } from 'node:crypto';

export interface ApnsSandboxOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1; the certificate also covers localhost and ::1. */
  readonly host?: string;
  /** Extra DNS names the certificate covers, for clients on other hosts. */
  readonly hostnames?: readonly string[];
  /** Expected `kid` in the provider token header. */
  readonly keyId: string;
  /** Expected `iss` claim. */
  readonly teamId: string;
  /** The ES256 key matching the provider's .p8: public key, or the private key itself. */
  readonly publicKey: KeyObject | string;
  /** When given, only topics `<id>` and `<id>.voip` of these bundle ids are allowed (else 400 TopicDisallowed). */
  readonly bundleIds?: readonly string[];
  /**
   * The SETTINGS_MAX_CONCURRENT_STREAMS each session advertises. APNs sets its own per-connection
   * limit; a low one here lets tests fill a connection with stalled streams. Default: Node's (unlimited).
   */
  readonly maxConcurrentStreams?: number;
  /** Serve `GET /sandbox/requests?token=<hex>` (the log, without authorization headers). Default false. */
  readonly inspection?: boolean;
}
