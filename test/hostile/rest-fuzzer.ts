import { ERROR_HTTP_STATUS, ErrorBodySchema } from '#contracts';
import type { RestInput } from './rest-inputs.js';
import { type Outcome, type Tally, describeInput } from './tally.js';

const ANSWER_MS = 10_000;
/** Node's default --max-http-header-size: a longer request line and headers get a bare 431. */
const NODE_MAX_HEADER_BYTES = 16 * 1024;

/**
 * Sends each request and judges the answer: never a 5xx, never a hang, and every 4xx carries the
 * documented error body (`{ code, message }`, with the status the contracts map that code to).
 */
export async function fuzzRest(
  inputs: RestInput[],
  baseUrl: Record<RestInput['app'], string>,
  tally: Tally,
  inFlight: number,
): Promise<void> {
  const queue = [...inputs];
  const lane = async () => {
    for (let input = queue.shift(); input; input = queue.shift())
      tally.record(describeInput(input), await send(input, baseUrl[input.app]), input.route);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

async function send(input: RestInput, base: string): Promise<Outcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${base}${input.url}`, {
      method: input.method,
      headers: input.headers,
      body: input.body,
      signal: AbortSignal.timeout(ANSWER_MS),
    });
    text = await response.text();
  } catch (error) {
    // Node answers 431 and closes at once; a client still sending a body sees the reset instead.
    if (input.url.length > NODE_MAX_HEADER_BYTES) return { answered: true, code: '431 (header limit, reset while sending)' };
    return { answered: false, why: `no answer: ${(error as Error).message}` };
  }
  // Node's HTTP parser refuses a request line and headers over its limit (16 KiB) before any app
  // code runs, with a bare 431: the transport's answer, as a socket's oversize frame closes it.
  if (response.status === 431 && text === '') return { answered: true, code: '431 (header limit)' };
  if (response.status >= 500) return { answered: false, why: `${response.status} ${text.slice(0, 300)}` };
  if (response.status < 400) return { answered: true, code: String(response.status) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { answered: false, why: `${response.status} without a JSON error body: ${text.slice(0, 200)}` };
  }
  const body = ErrorBodySchema.safeParse(parsed);
  if (!body.success) return { answered: false, why: `${response.status} with an undocumented body: ${text.slice(0, 300)}` };
  if (ERROR_HTTP_STATUS[body.data.code] !== response.status)
    return { answered: false, why: `${response.status} with ${body.data.code}, which maps to ${ERROR_HTTP_STATUS[body.data.code]}` };
  return { answered: true, code: body.data.code };
}
