#!/usr/bin/env node
// The story of one call, for an operator debugging "my call dropped", "my phone didn't ring" or
// "no video": who, when, every transition, each push and its APNs answer, ICE states and restarts,
// reconnects with their durations, and quality per party. Reads the admin API only.
//
//   CALLS_URL=http://127.0.0.1:3001 ADMIN_TOKEN=... npm run call:inspect -- <callId>
//
// Plain JavaScript on purpose: it runs from a checkout or a container without a build.

const USAGE = 'usage: CALLS_URL=<calls app URL> ADMIN_TOKEN=<admin token> npm run call:inspect -- <callId>';

/** Milliseconds as a person reads them: 850 ms, 12.4 s, 3 min 05 s, 1 h 02 min. */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

const offset = (from, at) => {
  const ms = Date.parse(at) - Date.parse(from);
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)}s`.padStart(10);
};

/** One line for a timeline entry: what happened, in words, with the facts its data carries. */
function describe(entry, call) {
  const d = entry.data ?? {};
  const who =
    entry.actorUserId === call.callerId ? 'caller' : entry.actorUserId === call.calleeId ? 'callee' : (entry.actorUserId ?? 'platform');
  const by = `${who}${entry.actorDeviceId ? ` (${entry.actorDeviceId})` : ''}`;
  switch (entry.type) {
    case 'invited':
      return `${by} invited ${d.calleeId ?? call.calleeId} to a ${d.media ?? call.media} call`;
    case 'push-queued':
      return `${d.kind ?? 'voip'} push queued for ${by}`;
    case 'push-skipped':
      return `no ${d.kind ?? 'voip'} push for ${by}: ${d.reason}`;
    case 'push-withdrawn':
      return `${d.kind ?? 'voip'} push for ${by} withdrawn (the call stopped ringing)`;
    case 'push-attempt': {
      const status = d.status ? `APNs ${d.status}${d.reason ? ` ${d.reason}` : ''}` : 'no APNs answer';
      const token = d.tokenInvalidated ? ', token invalidated' : '';
      return `${d.kind ?? 'voip'} push to ${by}, attempt ${d.attempt ?? 1}: ${d.outcome} (${status}, apns-id ${d.apnsId ?? '—'}, ${duration(d.latencyMs)})${token}`;
    }
    case 'ice-state':
      return `${by} ICE ${d.state}`;
    case 'ice-restart':
      return `${by} restarted ICE`;
    case 'media-down':
      return `media down (first reported by the ${d.reportedBy}); the media grace starts`;
    case 'media-recovered':
      return `media recovered after ${duration(d.downMs)}`;
    case 'disconnected':
      return `${by} lost its signaling connection; the reconnection grace starts`;
    case 'resumed':
      return `${by} resumed${d.awayMs === null || d.awayMs === undefined ? '' : ` after ${duration(d.awayMs)} away`}`;
    case 'replayed':
      return `${by} was replayed ${d.count} missed message(s)${d.complete === false ? ' (incomplete)' : ''}`;
    case 'quality-summary':
      return `${by} final quality: ${quality(d)}`;
    case 'ended-by-admin':
      return `ended by an admin: ${d.reason ?? ''}`;
    default:
      return `${entry.type}${entry.actorUserId ? ` by ${by}` : ''}${entry.data ? ` ${JSON.stringify(entry.data)}` : ''}`;
  }
}

function quality(s) {
  const parts = [];
  if (s.rttMs !== undefined) parts.push(`RTT ${s.rttMs} ms`);
  if (s.packetLossPct !== undefined) parts.push(`loss ${s.packetLossPct} %`);
  if (s.jitterMs !== undefined) parts.push(`jitter ${s.jitterMs} ms`);
  if (s.framesPerSecond !== undefined) parts.push(`${s.framesPerSecond} fps`);
  if (s.candidateType) parts.push(`via ${s.candidateType}`);
  return parts.join(', ') || 'nothing measured';
}

const pct = (p) => (p.p50 === null ? '—' : `p50 ${p.p50} / p95 ${p.p95}`);

/** The story as lines of text, from the call's detail (all timeline pages joined). */
export function story(call) {
  const lines = [];
  const t0 = call.createdAt;
  const since = (at) => (at ? `${at} (${offset(t0, at).trim()})` : '—');
  lines.push(`Call ${call.id}: ${call.media}, ${call.state}${call.endReason ? `, ended ${call.endReason}` : ''}`);
  lines.push(`  caller   ${call.callerId} on ${call.callerDeviceId}${call.callerName ? ` ("${call.callerName}")` : ''}`);
  lines.push(`  callee   ${call.calleeId}${call.answeredDeviceId ? `, answered on ${call.answeredDeviceId}` : ', never answered'}`);
  lines.push(`  created  ${call.createdAt}`);
  lines.push(`  ringing  ${since(call.ringingAt)}`);
  lines.push(`  answered ${since(call.answeredAt)}`);
  lines.push(`  ended    ${since(call.endedAt)}`);
  lines.push(`  talk     ${duration(call.durationMs)}; reconnects ${call.reconnects}; media via TURN: ${call.relayed ? 'yes' : 'no'}`);
  lines.push('', 'Timeline');
  for (const entry of call.timeline) lines.push(`${offset(t0, entry.at)}  #${String(entry.seq).padEnd(3)} ${describe(entry, call)}`);

  const pushes = call.timeline.filter((e) => e.type === 'push-attempt');
  lines.push('', `Pushes: ${pushes.length} APNs attempt(s)`);
  for (const p of pushes)
    lines.push(`  ${p.actorDeviceId}: ${p.data?.outcome} (${p.data?.status ?? '—'}) in ${duration(p.data?.latencyMs)}`);
  if (!pushes.length && call.timeline.some((e) => e.type === 'push-skipped')) lines.push('  none sent: see push-skipped above');

  const ice = call.timeline.filter((e) => e.type === 'ice-state' || e.type === 'ice-restart');
  lines.push('', `ICE: ${ice.filter((e) => e.type === 'ice-restart').length} restart(s)`);
  for (const role of ['caller', 'callee']) {
    const userId = role === 'caller' ? call.callerId : call.calleeId;
    const states = ice.filter((e) => e.type === 'ice-state' && e.actorUserId === userId).map((e) => e.data?.state);
    lines.push(`  ${role}: ${states.length ? states.join(' → ') : 'no reports'}`);
  }

  const drops = call.timeline.filter((e) => e.type === 'disconnected' || e.type === 'resumed');
  lines.push('', `Reconnects: ${call.reconnects}`);
  for (const e of drops)
    lines.push(
      `  ${offset(t0, e.at).trim()} ${e.actorUserId === call.callerId ? 'caller' : 'callee'} ${e.type === 'disconnected' ? 'dropped' : `back after ${duration(e.data?.awayMs)}`}`,
    );

  lines.push('', 'Quality per party');
  for (const role of ['caller', 'callee']) {
    const q = call.quality?.[role];
    lines.push(
      q
        ? `  ${role}: ${q.samples} samples, RTT ms ${pct(q.rttMs)}, loss % ${pct(q.packetLossPct)}, fps ${pct(q.framesPerSecond)}, via ${q.candidateType ?? '—'}`
        : `  ${role}: no samples`,
    );
  }
  return lines;
}

async function fetchCall(baseUrl, token, callId) {
  const get = async (path) => {
    const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${body?.code ?? ''} ${body?.message ?? ''}`.trim());
    return body;
  };
  const call = await get(`/calls/${encodeURIComponent(callId)}?limit=1000`);
  let after = call.nextTimelineSeq;
  while (after) {
    const next = await get(`/calls/${encodeURIComponent(callId)}?limit=1000&after=${after}`);
    call.timeline.push(...next.timeline);
    after = next.nextTimelineSeq;
  }
  return call;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const callId = process.argv.slice(2).find((a) => a !== '--');
  const token = process.env.ADMIN_TOKEN;
  if (!callId || !token) {
    console.error(USAGE);
    process.exit(2);
  }
  const baseUrl = (process.env.CALLS_URL ?? 'http://127.0.0.1:3001').replace(/\/$/, '');
  try {
    const call = await fetchCall(baseUrl, token, callId);
    console.log(story(call).join('\n'));
  } catch (error) {
    console.error(`call:inspect: ${error.message}`);
    process.exit(1);
  }
}
