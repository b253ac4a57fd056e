import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, with fake cameras (a front/back switch needs two) and a fake
 * microphone. Never a downloaded browser; if Chromium is missing the suite fails, it never skips.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      // Three fake cameras: fake_device_1 is a Y16 depth stream that the video encoder drops, so the
      // camera-switch test moves from fake_device_0 to fake_device_2 (both ordinary colour cameras).
      '--use-fake-device-for-media-stream=device-count=3',
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
