import { randomUUID } from 'node:crypto';
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { ApnsFailure } from './apns-failure.js';
import type { ApnsProviderTokenLedger } from './apns-provider-token-ledger.js';
import type { ApnsRecordedRequest } from './apns-recorded-request.js';
import { validateApnsRequest, type ApnsRequestInput, type ApnsValidationRules } from './apns-request-validator.js';
import type { ApnsSandboxLog } from './apns-sandbox-log.js';
import type { ApnsSandboxScripts } from './apns-sandbox-scripts.js';
import type { ApnsScriptBehaviour } from './apns-script-behaviour.js';

export interface ApnsStreamContext {
  readonly rules: ApnsValidationRules;
  readonly scripts: ApnsSandboxScripts;
  readonly log: ApnsSandboxLog;
  readonly tokens: ApnsProviderTokenLedger;
}

type Recorded = Pick<ApnsRecordedRequest, 'status' | 'reason' | 'apnsId' | 'scripted' | 'outcome'>;

/** Reads one APNs request, decides its fate (validation, then script), answers and records it. */
export async function handleApnsStream(
  stream: ServerHttp2Stream,
  rawHeaders: IncomingHttpHeaders,
  context: ApnsStreamContext,
): Promise<void> {
  const at = new Date();
  const headers = plainHeaders(rawHeaders);
  const method = String(rawHeaders[':method'] ?? '');
  const path = String(rawHeaders[':path'] ?? '');
  const request: ApnsRequestInput = { method, path, headers, body: await readBody(stream) };
  const validated = await validateApnsRequest(request, context.rules, Math.floor(Date.now() / 1000));
  // A well-signed token can still be one the test expired, or a refresh that came too soon.
  const bearer = /^bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  const tokenFailure = validated.failure === null && bearer ? context.tokens.judge(bearer) : null;
  const verdict = tokenFailure ? { ...validated, failure: tokenFailure } : validated;
  const delayMs = context.tokens.delayOf(tokenFailure);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  // Scripts only override requests that would otherwise succeed, so a malformed request still
  // shows its real validation error and does not use up a `times` count.
  const script = verdict.failure === null && verdict.token ? context.scripts.take(verdict.token) : null;
  const sentId = headers['apns-id'];
  const apnsId = sentId && verdict.failure?.reason !== 'BadMessageId' ? sentId : randomUUID();
  const recorded = script ? applyScript(stream, script, apnsId) : answer(stream, verdict.failure, apnsId);
  const body = request.body.toString('utf8');
  const { token, jwt } = verdict;
  context.log.record({ at, method, path, token, headers, body, payload: parseJson(body), jwt, ...recorded });
}

function applyScript(stream: ServerHttp2Stream, script: ApnsScriptBehaviour, apnsId: string): Recorded {
  if ('hang' in script) return { status: null, reason: null, apnsId: null, scripted: true, outcome: 'hung' };
  if ('goaway' in script) {
    const debugData = Buffer.from(JSON.stringify({ reason: script.reason ?? 'Shutdown' }));
    if (script.covering) {
      // A graceful shutdown: the GOAWAY's last-stream-id covers this stream, which is processed
      // (the push goes out) and answered before the session closes.
      stream.session?.goaway(constants.NGHTTP2_NO_ERROR, stream.id ?? 0, debugData);
      const answered = answer(stream, null, apnsId);
      stream.session?.close();
      return { ...answered, scripted: true };
    }
    stream.session?.goaway(constants.NGHTTP2_NO_ERROR, 0, debugData);
    // REFUSED_STREAM tells the client this request was not processed and is safe to retry.
    stream.close(constants.NGHTTP2_REFUSED_STREAM);
    stream.session?.close();
    return { status: null, reason: null, apnsId: null, scripted: true, outcome: 'goaway' };
  }
  const failure: ApnsFailure = { status: script.status, reason: script.reason };
  // Apple always dates a 410 (milliseconds) so providers can ignore tokens registered before it.
  const extra = script.status === 410 ? { timestamp: script.timestamp ?? Date.now() } : {};
  return { ...answer(stream, failure, apnsId, extra), scripted: true };
}

function answer(stream: ServerHttp2Stream, failure: ApnsFailure | null, apnsId: string, extra: object = {}): Recorded {
  if (!stream.destroyed) {
    if (failure) {
      stream.respond({ ':status': failure.status, 'apns-id': apnsId, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ reason: failure.reason, ...extra }));
    } else {
      // Apple sends apns-unique-id only from its development environment, which this stands in for.
      stream.respond({ ':status': 200, 'apns-id': apnsId, 'apns-unique-id': randomUUID() });
      stream.end();
    }
  }
  const status = failure?.status ?? 200;
  return { status, reason: failure?.reason ?? null, apnsId, scripted: false, outcome: 'answered' };
}

function plainHeaders(raw: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith(':') || value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function readBody(stream: ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A stream reset mid-body still gets validated and recorded with what arrived.
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}
