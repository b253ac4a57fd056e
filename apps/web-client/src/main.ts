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

async function devToken(userId: string): Promise<string> {
  const response = await fetch('/dev/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, name: userId }),
  });
  if (!response.ok) throw new Error(`dev tokens are off (${response.status}); start the platform with npm start`);
  return ((await response.json()) as { token: string }).token;
}

function render(call: CallInfo): void {
  show('dialer', call.phase === 'ended');
  show('incoming', false);
  show('in-call', call.phase !== 'ended');
  show('ended', call.phase === 'ended');
  $('call-id').textContent = call.callId;
  $('phase').textContent = call.phase;
  show('peer-away', call.peerAway);
  if (call.endReason) $('end-reason').textContent = call.endReason;
}

async function refreshPushes(userId: string): Promise<void> {
  const response = await fetch(`/dev/pushes?userId=${encodeURIComponent(userId)}`).catch(() => null);
  if (!response?.ok) return;
  const pushes = (await response.json()) as { at: string; status: number | null; pushType: string; callId: string | null }[];
  $('pushes').replaceChildren(
    ...(pushes.length ? pushes : [null]).map((p) => {
      const li = document.createElement('li');
      li.textContent = p ? `${p.at.slice(11, 19)} ${p.pushType} push for call ${p.callId ?? '?'} → ${p.status ?? 'no answer'}` : 'none yet';
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
  connection.socket.on('connect', () => (($('connection').textContent = 'online'), $('connection').classList.add('ok')));
  connection.socket.on(
    'disconnect',
    (reason) => (($('connection').textContent = `offline (${reason})`), $('connection').classList.remove('ok')),
  );
  events.on('incoming', (p) => {
    app.lastIncoming = p.callId;
    $('incoming-from').textContent = p.caller.displayName ?? p.caller.userId;
    $('incoming').dataset.callId = p.callId;
    show('incoming', true);
    log(`incoming ${p.media} call ${p.callId} from ${p.caller.userId}`);
  });
  events.on('call', (call) => (render(call), log(`call ${call.callId}: ${call.phase}${call.endReason ? ` (${call.endReason})` : ''}`)));
  events.on('local-stream', (stream) => ($<HTMLVideoElement>('local').srcObject = stream));
  events.on('remote-stream', (stream) => ($<HTMLVideoElement>('remote').srcObject = stream));
  events.on('remote-media-state', (s) => (app.remoteMediaState = s));
  events.on('resumed', (r) => app.resumes.push(r));
  events.on(
    'remote-media-state',
    (s) =>
      ($('remote-media').textContent = `${s.camera} camera, video ${s.videoEnabled ? 'on' : 'off'}, ${s.audioMuted ? 'muted' : 'unmuted'}`),
  );
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
  events.on('resumed', (r) => log(`resumed after ${r.ms.toFixed(0)} ms, ${r.replayed} replayed`));
  events.on('error', (e) => log(`error: ${e.message}`));
  await client.connect();
  $('me').textContent = `${userId} (${deviceId})`;
  show('sign-in', false);
  show('dialer', true);
  setInterval(() => void refreshPushes(userId), 3000);
  return client;
}

let client: CallClient | null = null;
const guarded = (fn: () => Promise<unknown>) => () => void fn().catch((e: Error) => log(`error: ${e.message}`));
$('connect').onclick = guarded(async () => (client = await signIn($<HTMLInputElement>('user-id').value.trim())));
$('call-video').onclick = guarded(() => client!.call($<HTMLInputElement>('callee-id').value.trim(), 'video'));
$('call-audio').onclick = guarded(() => client!.call($<HTMLInputElement>('callee-id').value.trim(), 'audio'));
$('answer').onclick = guarded(() => client!.answer($('incoming').dataset.callId!));
$('decline').onclick = guarded(async () => (await client!.decline($('incoming').dataset.callId!), show('incoming', false)));
$('hangup').onclick = guarded(() => client!.hangup());
$('switch-camera').onclick = guarded(async () => log(`camera: ${await client!.switchCamera()}`));
$('mute').onclick = guarded(async () => {
  const muted = !client!.mediaState.audioMuted;
  await client!.setMuted(muted);
  $('mute').textContent = muted ? 'Unmute' : 'Mute';
});
$('video').onclick = guarded(async () => {
  const enabled = !client!.mediaState.videoEnabled;
  await client!.setVideoEnabled(enabled);
  $('video').textContent = enabled ? 'Video off' : 'Video on';
});

const app = {
  get client() {
    return client;
  },
  lastIncoming: null as string | null,
  remoteMediaState: null as unknown,
  resumes: [] as { replayed: number; ms: number }[],
  signIn: async (userId: string) => (client = await signIn(userId)),
};
(window as unknown as { app: typeof app }).app = app;
if (params.get('user')) {
  $<HTMLInputElement>('user-id').value = params.get('user')!;
  if (params.get('autoconnect') === '1') void app.signIn(params.get('user')!);
}
