import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { Platform, launchChromium, waitInPage } from '#testing';

/** What the tests read from the reference client (window.app in apps/web-client). */
type App = {
  client: {
    current: { callId: string; phase: string } | null;
    localStream: MediaStream | null;
    mediaState: { camera: 'front' | 'back'; videoEnabled: boolean; audioMuted: boolean };
    peer: { offersMade: number; pc: RTCPeerConnection } | null;
    call(calleeId: string, media?: 'video' | 'audio'): Promise<string>;
    answer(callId: string): Promise<void>;
    hangup(): Promise<void>;
    setMuted(muted: boolean): Promise<void>;
    switchCamera(): Promise<'front' | 'back'>;
    stats(): Promise<{ framesDecoded?: number }> | null;
  } | null;
  lastIncoming: string | null;
  remoteMediaState: { camera: string; audioMuted: boolean } | null;
  signInError: string | null;
};
declare const app: App;

const WEB_CLIENT = fileURLToPath(new URL('../../dist/web-client', import.meta.url));
/** The promise: after a switch, the peer decodes frames from the new camera within this. */
const NEW_FRAMES_WITHIN_MS = 2000;
let platform: Platform;
let browser: Browser;

// No TURN at all: loopback calls connect on host candidates, and a relay-only call cannot connect.
beforeAll(async () => {
  platform = await Platform.start({
    notifier: false,
    env: { WEB_CLIENT_DIR: WEB_CLIENT, DEV_TOKENS: 'true', NODE_ENV: 'development' },
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

async function openClient(on: Browser, user: string, query = ''): Promise<Page> {
  const page = await (await on.newContext()).newPage();
  await page.goto(`${platform.gateway.url}/?user=${encodeURIComponent(user)}&autoconnect=1${query}`);
  return page;
}

const signedIn = (page: Page, user: string) => waitInPage(page, () => app.client !== null, 10_000, `${user} signed in`);
const text = (page: Page, id: string) => page.locator(`#${id}`).textContent();

async function connect(caller: Page, callee: Page, calleeId: string): Promise<string> {
  const callId = (await caller.evaluate((id) => app.client!.call(id, 'video'), calleeId)) as string;
  await waitInPage(callee, () => app.lastIncoming, 10_000, 'incoming call');
  await callee.evaluate((id) => app.client!.answer(id), callId);
  for (const page of [caller, callee]) await waitInPage(page, () => app.client!.current?.phase === 'connected', 20_000, 'connected');
  return callId;
}

const framesDecoded = async (page: Page) => (await page.evaluate(async () => (await app.client!.stats())?.framesDecoded ?? 0)) as number;

/** Milliseconds from `since` until the page has decoded `count` frames beyond `from`; throws past the bound. */
async function decodesNewFrames(page: Page, from: number, since: number, count = 5): Promise<number> {
  for (;;) {
    if ((await framesDecoded(page)) >= from + count) return Date.now() - since;
    if (Date.now() - since > NEW_FRAMES_WITHIN_MS * 3) throw new Error(`no new frames decoded (stuck at ${await framesDecoded(page)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('camera switch by facing, with three fake cameras (fake_device_1 is a depth camera)', () => {
  it('switches back and forth 4 times; each time the peer decodes new frames within 2 s and is told the right camera', async () => {
    const alice = await openClient(browser, 'cam-alice');
    const bob = await openClient(browser, 'cam-bob');
    await Promise.all([signedIn(alice, 'alice'), signedIn(bob, 'bob')]);
    await connect(alice, bob, 'cam-bob');
    const offers = await alice.evaluate(() => app.client!.peer!.offersMade);
    const times: number[] = [];
    let expected: 'front' | 'back' = 'back';
    for (let i = 0; i < 4; i++) {
      const start = Date.now();
      await alice.click('#switch-camera'); // as a user does: the page logs it
      const facing = await waitInPage(
        alice,
        expected === 'back'
          ? () => app.client!.mediaState.camera === 'back' && 'back'
          : () => app.client!.mediaState.camera === 'front' && 'front',
        3000,
        `switched to ${expected}`,
      );
      const switched = Date.now();
      const from = await framesDecoded(bob); // the old camera is stopped by now: what follows is the new one's
      const ms = await decodesNewFrames(bob, from, start);
      times.push(ms);
      expect(facing).toBe(expected);
      const sent = await alice.evaluate(() => app.client!.peer!.pc.getSenders().find((s) => s.track?.kind === 'video')!.track!.label);
      expect(sent).not.toBe('fake_device_1');
      expect(sent).toBe(expected === 'back' ? 'fake_device_2' : 'fake_device_0');
      await waitInPage(bob, () => app.remoteMediaState?.camera, 2000, 'peer told');
      expect(await bob.evaluate(() => app.remoteMediaState!.camera)).toBe(expected);
      expect(await text(bob, 'remote-media')).toContain(`${expected} camera`);
      expect(ms).toBeLessThan(NEW_FRAMES_WITHIN_MS);
      console.log(
        `camera switch ${i + 1} → ${facing}: switch done ${switched - start} ms after the press, peer decoding new frames ${ms} ms after the press`,
      );
      expected = expected === 'back' ? 'front' : 'back';
    }
    console.log(`camera switch → peer decodes new frames: ${times.join(', ')} ms (max ${Math.max(...times)} ms)`);
    expect(await alice.evaluate(() => app.client!.peer!.offersMade)).toBe(offers); // replaceTrack, no renegotiation
    expect(await text(alice, 'log')).toContain('me: camera back');
    expect(await text(bob, 'log')).toContain('peer: camera back');

    await alice.evaluate(() => app.client!.hangup());
    await waitInPage(bob, () => app.client!.current?.phase === 'ended', 10_000, 'bob sees the end');
    expect(await text(alice, 'log')).toContain('ended by you');
    expect(await text(bob, 'log')).toContain('completed, ended by the other party');
    await Promise.all([alice.context().close(), bob.context().close()]);
  }, 90_000);

  it('refuses the switch with NO_OTHER_CAMERA on a device with one camera, and nothing changes', async () => {
    const single = await launchChromium({ cameras: 1 });
    try {
      const carol = await openClient(single, 'cam-carol');
      const dave = await openClient(single, 'cam-dave');
      await Promise.all([signedIn(carol, 'carol'), signedIn(dave, 'dave')]);
      await connect(carol, dave, 'cam-dave');
      const before = await carol.evaluate(() => app.client!.localStream!.getVideoTracks()[0]!.label);
      const refused = await carol.evaluate(() =>
        app.client!.switchCamera().then(
          () => null,
          (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
        ),
      );
      expect(refused).toMatchObject({ code: 'NO_OTHER_CAMERA', message: expect.stringContaining('1 camera') });
      expect(await carol.evaluate(() => app.client!.localStream!.getVideoTracks()[0]!.readyState)).toBe('live');
      expect(await carol.evaluate(() => app.client!.localStream!.getVideoTracks()[0]!.label)).toBe(before);
      expect(await carol.evaluate(() => app.client!.mediaState.camera)).toBe('front');
      // The next media state the peer hears is the mute: no camera change came before it.
      await carol.evaluate(() => app.client!.setMuted(true));
      await waitInPage(dave, () => app.remoteMediaState?.audioMuted, 5000, 'mute relayed');
      expect(await dave.evaluate(() => app.remoteMediaState!.camera)).toBe('front');
      expect(await text(dave, 'log')).toContain('peer: muted');
      expect(await text(dave, 'log')).not.toContain('camera back');
      await decodesNewFrames(dave, await framesDecoded(dave), Date.now());
    } finally {
      await single.close();
    }
  }, 60_000);
});

describe('the web client tells the user what is going on', () => {
  it('shows ringing to the caller, the media type to the callee, and no media with the likely cause', async () => {
    const erin = await openClient(browser, 'cam-erin', '&relay=1');
    const frank = await openClient(browser, 'cam-frank', '&relay=1');
    await Promise.all([signedIn(erin, 'erin'), signedIn(frank, 'frank')]);
    const callId = (await erin.evaluate(() => app.client!.call('cam-frank', 'audio'))) as string;
    await waitInPage(erin, () => document.getElementById('phase')!.textContent === 'ringing', 10_000, 'caller sees ringing');
    expect(await text(frank, 'incoming-media')).toBe('audio');
    expect(await frank.locator('#incoming').isVisible()).toBe(true);
    await frank.evaluate((id) => app.client!.answer(id), callId);
    const answered = Date.now();
    // Relay-only and no TURN server: media can never connect, and the page says why.
    await waitInPage(erin, () => !document.getElementById('no-media')!.hidden, 20_000, 'no-media shown');
    const hint = await text(erin, 'no-media');
    console.log(`no media shown ${Date.now() - answered} ms after the answer: ${hint}`);
    expect(hint).toMatch(/No media after 10 s.*no TURN server/i);
    expect(await text(erin, 'log')).toContain('(relay-without-turn)');
    await erin.evaluate(() => app.client!.hangup());
    await Promise.all([erin.context().close(), frank.context().close()]);
  }, 60_000);

  it('says why an invalid user id cannot sign in', async () => {
    const page = await openClient(browser, 'Bob Smith');
    await waitInPage(page, () => app.signInError, 10_000, 'sign-in error');
    expect(await page.locator('#sign-in-error').isVisible()).toBe(true);
    expect(await text(page, 'sign-in-error')).toMatch(/Could not sign in: .*"Bob Smith" is not a valid user id/);
    expect(await text(page, 'connection')).toBe('offline');
    await page.context().close();
  });
});
