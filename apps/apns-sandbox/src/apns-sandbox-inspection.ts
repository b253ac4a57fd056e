import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { ApnsSandboxLog } from './apns-sandbox-log.js';

const INSPECTION_PATH = '/sandbox/requests';

export function isInspectionRequest(headers: IncomingHttpHeaders): boolean {
  return headers[':method'] === 'GET' && pathOf(headers).pathname === INSPECTION_PATH;
}

/**
 * Read-only view of the log for tools outside the process (the web client, curl). Provider tokens
 * are live credentials for up to an hour, so the authorization header is left out.
 */
export function serveInspection(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, log: ApnsSandboxLog): void {
  const token = pathOf(headers).searchParams.get('token');
  const entries = token ? log.forToken(token) : log.all();
  const visible = entries.map(({ headers: sent, ...rest }) => {
    const { authorization: _secret, ...safe } = sent;
    return { ...rest, headers: safe };
  });
  stream.respond({ ':status': 200, 'content-type': 'application/json', 'cache-control': 'no-store' });
  stream.end(JSON.stringify(visible));
}

function pathOf(headers: IncomingHttpHeaders): URL {
  return new URL(String(headers[':path'] ?? '/'), 'https://sandbox.invalid');
}
