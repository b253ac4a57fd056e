import { constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

export interface Http2Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export class Http2TimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no HTTP/2 response within ${timeoutMs} ms`);
    this.name = 'Http2TimeoutError';
  }
}

/** One request/response on an open session; the stream is cancelled if no response comes in time. */
export function http2Exchange(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer,
  timeoutMs = 2000,
): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let responseHeaders: IncomingHttpHeaders = {};
    stream.setTimeout(timeoutMs, () => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(new Http2TimeoutError(timeoutMs));
    });
    stream.on('response', (received) => (responseHeaders = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () =>
      resolve({
        status: Number(responseHeaders[':status']),
        headers: responseHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      }),
    );
    stream.on('error', reject);
    // GET and HEAD streams are already half-closed by node:http2; there is nothing left to write.
    if (!stream.writableEnded) stream.end(body);
  });
}
