import type { MediaState, PushLogEntry } from '#contracts';
import { CallClient, type CallInfo } from '#client-sdk';

/**
 * The web reference client: two tabs, two demo users, a real call through the platform. Query
 * options: ?user=alice&device=web-alice&relay=1 (force TURN) &autoconnect=1. `window.app` is the
 * handle the browser tests drive.
 */
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const show = (id: string, visible: boolean) => ($(id).hidden = !visible);
const log = (line: string) => {
  const item = document.createElement('li');
  item.textContent = `${new Date().toISOString().slice(11, 23)} ${line}`;
  $('log').prepend(item);
};
/** An error the user must see, not only a log line: on the page until the next one or a sign-in. */
const fail = (message: string, where = 'error') => {
  $(where).textContent = message;
  show(where, true);
  log(`error: ${message}`);
};

async function devToken(userId: string): Promise<string> {
  const response = await fetch('/dev/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, name: userId }),
  });
  if (response.status === 404) throw new Error('dev tokens are off (404): start the platform with npm start, or set DEV_TOKENS=true');
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new Error(`"${userId}" is not a valid user id (${body.message ?? `HTTP ${response.status}`}): use letters, digits and . _ ~ -`);
  }
  return ((await response.json()) as { token: string }).token;
}

function render(call: CallInfo): void {
  show('dialer', call.phase === 'ended');
  show('incoming', false);
  show('in-call', call.phase !== 'ended');
  show('ended', call.phase === 'ended');
  $('call-id').textContent = call.callId;
  $('phase').textContent = call.phase === 'outgoing' && call.peerRinging ? 'ringing' : call.phase;
  show('peer-away', call.peerAway);
  $('no-media').textContent = call.noMedia ? `No media after ${call.noMedia.afterMs / 1000} s. ${call.noMedia.hint}` : '';
  show('no-media', !!call.noMedia && call.phase !== 'ended');
  if (call.endReason) $('end-reason').textContent = `${call.endReason}${call.endedBy ? ` (ended by ${endedBy[call.endedBy]})` : ''}`;
}

const endedBy = { local: 'you', remote: 'the other party', platform: 'the platform' } as const;

/** One log line per call change worth reading: phase, ringing, no media, who ended it. */
function logCall(before: CallInfo | null, call: CallInfo): void {
  const same = before?.callId === call.callId;
  if (!same || before.phase !== call.phase) {
    const end =
      call.phase === 'ended' ? ` (${call.endReason ?? 'answered elsewhere'}, ended by ${endedBy[call.endedBy ?? 'platform']})` : '';
    log(`call ${call.callId}: ${call.phase}${end}`);
  }
  if (call.peerRinging && !(same && before.peerRinging)) log(`call ${call.callId}: ${call.peerUserId} is ringing`);
  if (call.noMedia && !(same && before.noMedia))
    log(`call ${call.callId}: no media after ${call.noMedia.afterMs / 1000} s (${call.noMedia.cause})`);
}

const describeMedia = (s: MediaState) =>
  `${s.camera} camera, video ${s.videoEnabled ? 'on' : 'off'}, ${s.audioMuted ? 'muted' : 'unmuted'}`;

/** What changed between two media states, e.g. "muted, camera back". */
function mediaChanges(before: MediaState | null, after: MediaState): string {
  const changes = [
    before?.audioMuted !== after.audioMuted && (after.audioMuted ? 'muted' : 'unmuted'),
    before?.videoEnabled !== after.videoEnabled && `video ${after.videoEnabled ? 'on' : 'off'}`,
    before?.camera !== after.camera && `camera ${after.camera}`,
  ].filter(Boolean);
  return changes.join(', ');
}

async function refreshPushes(userId: string): Promise<void> {
  const response = await fetch(`/dev/pushes?userId=${encodeURIComponent(userId)}`).catch(() => null);
  if (!response?.ok) return;
  const pushes = (await response.json()) as PushLogEntry[];
  $('pushes').replaceChildren(
    ...(pushes.length ? pushes : [null]).map((p) => {
      const li = document.createElement('li');
      li.textContent = p
        ? `${p.at.slice(11, 19)} ${p.kind} push to ${p.deviceId} for call ${p.callId}: ${p.outcome} (${p.status ?? 'no answer'})`
        : 'none yet';
      return li;
    }),
  );
}

async function signIn(userId: string): Promise<CallClient> {
  const deviceId = params.get('device') ?? `web-${userId}`;
  const client = new CallClient({
    url: location.origin,
    token: () => devToken(userId),
    deviceId,
    appState: 'foreground',
    iceTransportPolicy: params.get('relay') === '1' ? 'relay' : 'all',
    qualityIntervalMs: Number(params.get('qualityMs') ?? 5000),
  });
  const { events, connection } = client;
  connection.socket.on(
    'connect',
    () => (($('connection').textContent = 'online'), $('connection').classList.add('ok'), log('signaling connected')),
  );
  connection.socket.on(
    'disconnect',
    (reason) => (
      ($('connection').textContent = `offline (${reason})`),
      $('connection').classList.remove('ok'),
      log(`signaling lost: ${reason}`)
    ),
  );
  events.on('incoming', (p) => {
    app.lastIncoming = p.callId;
    $('incoming-from').textContent = p.caller.displayName ?? p.caller.userId;
    $('incoming-media').textContent = p.media;
    $('incoming').dataset.callId = p.callId;
    show('incoming', true);
    log(`incoming ${p.media} call ${p.callId} from ${p.caller.userId}`);
  });
  events.on('incoming-gone', (g) => {
    if ($('incoming').dataset.callId === g.callId) show('incoming', false);
    log(`incoming call ${g.callId} is over: ${g.reason}`);
  });
  let shown: CallInfo | null = null;
  events.on('call', (call) => (render(call), logCall(shown, call), (shown = call)));
  events.on('local-stream', (stream) => ($<HTMLVideoElement>('local').srcObject = stream));
  events.on('remote-stream', (stream) => ($<HTMLVideoElement>('remote').srcObject = stream));
  events.on('resumed', (r) => app.resumes.push(r));
  events.on('remote-media-state', (s) => {
    const changes = mediaChanges(app.remoteMediaState, s);
    if (changes) log(`peer: ${changes}`);
    app.remoteMediaState = s;
    $('remote-media').textContent = describeMedia(s);
  });
  events.on(
    'quality',
    (q) =>
      ($('quality').textContent = [
        q.rttMs && `rtt ${q.rttMs.toFixed(0)} ms`,
        q.framesPerSecond && `${q.framesPerSecond} fps`,
        q.inboundKbps && `in ${q.inboundKbps.toFixed(0)} kbps`,
        q.candidateType,
      ]
        .filter(Boolean)
        .join(', ')),
  );
  events.on('ice-state', (s) => log(`ice ${s}`));
  events.on('media-stalled', (stalled) => log(stalled ? 'media stalled: restarting ICE' : 'media flowing again'));
  events.on('resumed', (r) => log(`resumed after ${r.ms.toFixed(0)} ms, ${r.replayed} replayed`));
  events.on('error', (e) => fail(e.message));
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw error;
  }
  show('sign-in-error', false);
  $('me').textContent = `${userId} (${deviceId})`;
  show('sign-in', false);
  show('dialer', true);
  setInterval(() => void refreshPushes(userId), 3000);
  return client;
}

let client: CallClient | null = null;
const guarded = (fn: () => Promise<unknown>) => () => void fn().catch((e: Error) => fail(e.message));
/** A local media change, applied and logged. */
async function changeMedia(apply: () => Promise<unknown>): Promise<void> {
  const before = { ...client!.mediaState };
  await apply();
  log(`me: ${mediaChanges(before, client!.mediaState) || 'no change'}`);
}
const signInFromPage = (userId: string) =>
  app.signIn(userId).catch((e: Error) => {
    app.signInError = e.message;
    fail(`Could not sign in: ${e.message}`, 'sign-in-error');
  });
$('connect').onclick = () => void signInFromPage($<HTMLInputElement>('user-id').value.trim());
$('call-video').onclick = guarded(() => client!.call($<HTMLInputElement>('callee-id').value.trim(), 'video'));
$('call-audio').onclick = guarded(() => client!.call($<HTMLInputElement>('callee-id').value.trim(), 'audio'));
$('answer').onclick = guarded(() => client!.answer($('incoming').dataset.callId!));
$('decline').onclick = guarded(async () => (await client!.decline($('incoming').dataset.callId!), show('incoming', false)));
$('hangup').onclick = guarded(() => client!.hangup());
$('switch-camera').onclick = guarded(() => changeMedia(() => client!.switchCamera()));
$('mute').onclick = guarded(async () => {
  const muted = !client!.mediaState.audioMuted;
  await changeMedia(() => client!.setMuted(muted));
  $('mute').textContent = muted ? 'Unmute' : 'Mute';
});
$('video').onclick = guarded(async () => {
  const enabled = !client!.mediaState.videoEnabled;
  await changeMedia(() => client!.setVideoEnabled(enabled));
  $('video').textContent = enabled ? 'Video off' : 'Video on';
});

const app = {
  get client() {
    return client;
  },
  lastIncoming: null as string | null,
  remoteMediaState: null as MediaState | null,
  signInError: null as string | null,
  resumes: [] as { replayed: number; ms: number }[],
  signIn: async (userId: string) => (client = await signIn(userId)),
};
(window as unknown as { app: typeof app }).app = app;
if (params.get('user')) {
  $<HTMLInputElement>('user-id').value = params.get('user')!;
  if (params.get('autoconnect') === '1') void signInFromPage(params.get('user')!);
}
