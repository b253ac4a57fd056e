import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { NetNamespace } from './net-namespace.js';
import { pollUntil } from './poll-until.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ChromiumOptions {
  cameras?: number;
  /** Runs the browser inside this network namespace: one party whose network a test cuts or moves. */
  namespace?: NetNamespace;
  /**
   * Plain-http origins to treat as secure (getUserMedia needs a secure context): a browser in a
   * namespace reaches the gateway on the host's veth address, which is not localhost.
   */
  secureOrigins?: string[];
  /** More Chromium switches. */
  args?: string[];
}

/**
 * Debian's Chromium, headless, with fake cameras (a front/back switch needs two) and a fake
 * microphone. Never a downloaded browser; if Chromium is missing the suite fails, it never skips.
 * `cameras: 1` is a device with nothing to switch to.
 */
export async function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: options.namespace ? await options.namespace.wrap(CHROMIUM) : CHROMIUM,
    headless: true,
    args: [
      ...(options.secureOrigins?.length ? [`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigins.join(',')}`] : []),
      ...(options.args ?? []),
      // For chasing a media problem in any suite: libwebrtc's own log, say (README, "Browser tests").
      ...(process.env.CHROMIUM_DEBUG_ARGS?.split(' ').filter(Boolean) ?? []),
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      // Three fake cameras by default: fake_device_1 is a Y16 depth stream that the video encoder
      // drops, and none reports a facingMode, so a switch must skip the depth camera on its own.
      `--use-fake-device-for-media-stream=device-count=${options.cameras ?? 3}`,
      // The remote <video> plays unmuted; without this, autoplay is blocked and nothing renders.
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Polls a page expression until it is truthy. */
export async function waitInPage<T>(page: Page, expression: () => T | Promise<T>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await page.evaluate(expression).catch(() => undefined);
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * How far into a call a browser scenario breaks its path, in frames each side has decoded: a
 * network switch, a tunnel or a TURN restart comes mid-call. In a call only seconds old, libwebrtc's
 * receive timing has not settled, and after an outage of a few seconds the receiver can hold the
 * first frames for up to 3 s more (docs/reconnection.md, "A young call"). That timing is fed by
 * frames, so the call's age is counted in them: 400 is 20 s of the fake camera's 20 fps, where the
 * hold was gone; a loaded machine that decodes fewer waits longer instead of breaking the path early.
 */
export const MID_CALL_FRAMES = 400;

/** Resolves once every page has decoded MID_CALL_FRAMES frames of its call, read by `framesDecoded`. */
export async function untilMidCall(pages: Page[], framesDecoded: (page: Page) => Promise<number>): Promise<void> {
  await pollUntil(
    () => Promise.all(pages.map(framesDecoded)),
    (decoded) => decoded.every((n) => n >= MID_CALL_FRAMES),
    `${MID_CALL_FRAMES} frames decoded on every page`,
    60_000,
  );
}
