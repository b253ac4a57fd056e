import { Logger } from '@nestjs/common';
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants, type IncomingHttpHeaders } from 'node:http2';
import { APNS_CONNECTIONS_MAX } from '#contracts';
import { ApnsTransportError } from './apns-transport-error.js';

export interface ApnsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Connection {
  readonly session: ClientHttp2Session;
  inFlight: number;
  /** Set by GOAWAY: streams above it were not processed; no new stream goes here. */
  lastStreamId: number | null;
}

/** Apple: keep connections open; a new one per push looks like a denial-of-service attack. */
const PING_INTERVAL_MS = 10 * 60_000;

/**
 * HTTP/2 connections to one APNs origin, on node:http2 because undici (apns2's client) fails every
 * in-flight stream on GOAWAY, including those the last-stream-id covers, which APNs has processed.
 * Each request has its own deadline, and a timed-out stream is cancelled, which frees its slot at
 * once. A request goes to the first connection with a free stream (APNs's SETTINGS limit), and to a
 * new connection, up to APNS_CONNECTIONS_MAX, when all are full: stalled streams cannot hold back a
 * new push until they time out.
 */
export class ApnsSessionPool {
  private readonly logger = new Logger(ApnsSessionPool.name);
  private readonly connections: Connection[] = [];
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly origin: string,
    private readonly timeoutMs: number,
    private readonly ca?: string,
  ) {
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS).unref();
  }

  request(path: string, headers: Record<string, string>, body: string): Promise<ApnsResponse> {
    if (this.closed) return Promise.reject(new ApnsTransportError('ApnsClientClosed', 'the APNs client is closed'));
    const connection = this.pick();
    let stream: ClientHttp2Stream;
    try {
      stream = connection.session.request({ ':method': 'POST', ':path': path, ...headers });
    } catch (error) {
      // The session closed under us (GOAWAY, socket error): nothing was sent, so it is safe to retry.
      const code = (error as { code?: string }).code ?? 'ApnsStreamRefused';
      return Promise.reject(new ApnsTransportError(code, `no stream to APNs: ${String(error)}`));
    }
    connection.inFlight += 1;
    return new Promise<ApnsResponse>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let response: IncomingHttpHeaders | null = null;
      const timer = setTimeout(() => {
        fail(new ApnsTransportError('ApnsRequestTimeout', `no answer from APNs within ${this.timeoutMs} ms`));
        stream.close(constants.NGHTTP2_CANCEL);
      }, this.timeoutMs);
      let settled = false;
      const fail = (error: ApnsTransportError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      stream.on('response', (received) => (response = received));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (settled || !response) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: Number(response[':status']), headers: response, body: Buffer.concat(chunks).toString('utf8') });
      });
      // Every stream closes, answered or not: build the error (a stack trace each) only when it is one.
      stream.on('error', (error: Error) => settled || fail(lost(connection, stream, error)));
      stream.once('close', () => {
        connection.inFlight -= 1;
        if (!settled) fail(lost(connection, stream, null));
      });
      stream.end(body);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    await Promise.all(this.connections.map(({ session }) => shut(session)));
  }

  /** The first open connection with a free stream; else a new one; else the least busy. */
  private pick(): Connection {
    for (let i = this.connections.length - 1; i >= 0; i -= 1) {
      const { session, lastStreamId } = this.connections[i]!;
      if (session.closed || session.destroyed || lastStreamId !== null) this.connections.splice(i, 1);
    }
    const free = this.connections.find((c) => c.inFlight < streamLimit(c.session));
    if (free) return free;
    if (this.connections.length < APNS_CONNECTIONS_MAX) return this.open();
    return this.connections.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
  }

  private open(): Connection {
    const session = connect(this.origin, this.ca ? { ca: this.ca, servername: 'localhost' } : {});
    const connection: Connection = { session, inFlight: 0, lastStreamId: null };
    // Each stream reports its own failure; the session's error would otherwise crash the process.
    session.on('error', (error) => this.logger.warn(`APNs connection error: ${error.message}`));
    session.on('goaway', (code, lastStreamId, data) => {
      connection.lastStreamId = lastStreamId;
      this.logger.warn(`APNs GOAWAY (code ${code}, last stream ${lastStreamId}): ${data?.toString('utf8') ?? ''}`);
    });
    // The HTTP server and Bull keep the notifier alive; an APNs connection must not hold up its exit.
    session.unref();
    this.connections.push(connection);
    return connection;
  }

  private ping(): void {
    for (const { session } of this.connections) if (!session.closed && !session.destroyed) session.ping(() => undefined);
  }
}

/** Lets in-flight streams finish; a session a GOAWAY already closed may never call close()'s callback. */
function shut(session: ClientHttp2Session): Promise<void> {
  if (session.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    session.once('close', () => resolve());
    session.close();
  });
}

/** APNs's SETTINGS limit once known; one stream before that, as APNs allows until a token is accepted. */
function streamLimit(session: ClientHttp2Session): number {
  return session.remoteSettings?.maxConcurrentStreams ?? 1;
}

/** Why a stream ended without an answer, and whether APNs may already have pushed it. */
function lost(connection: Connection, stream: ClientHttp2Stream, error: Error | null): ApnsTransportError {
  const { lastStreamId } = connection;
  if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM || (lastStreamId !== null && !(stream.id! <= lastStreamId)))
    return new ApnsTransportError('ApnsStreamRefused', 'APNs refused the stream unprocessed (safe to retry)');
  if (lastStreamId !== null)
    return new ApnsTransportError('ApnsGoawayCovered', `GOAWAY covered stream ${stream.id} but its answer was lost`, true);
  const code = (error as { code?: string } | null)?.code ?? 'ApnsStreamClosed';
  return new ApnsTransportError(code, error?.message ?? `APNs closed the stream (code ${stream.rstCode})`);
}
