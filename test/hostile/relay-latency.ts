import { readFileSync } from 'node:fs';
import { type TestDevice, iceCandidate } from '#testing';

/** Both ends of an active call, caller first. */
export interface ActiveCall {
  caller: TestDevice;
  callee: TestDevice;
  callId: string;
}

const SAMPLE_EVERY_MS = 20;

/** One block of samples: the latencies of those that arrived, how many were sent, and the refusals. */
export interface Block {
  latencies: number[];
  sent: number;
  refused: string[];
}

/** The p-th percentile (0-100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Relay latencies of `call`, caller to callee, one candidate every SAMPLE_EVERY_MS for `durationMs`:
 * each is timed from the send to its arrival at the callee.
 */
export async function relayLatencies(call: ActiveCall, durationMs: number, first: number): Promise<Block> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const acks: Promise<string>[] = [];
  let resolveAll!: () => void;
  const allArrived = new Promise<void>((r) => (resolveAll = r));
  let finished = false;
  const arrived = (p: { callId: string; candidate: { candidate: string } | null }) => {
    const at = p.candidate && sentAt.get(p.candidate.candidate);
    if (p.callId !== call.callId || !at) return;
    latencies.push(performance.now() - at);
    if (finished && latencies.length === sentAt.size) resolveAll();
  };
  call.callee.socket.on('call:ice-candidate', arrived);
  const end = performance.now() + durationMs;
  for (let n = first; performance.now() < end; n += 1) {
    const candidate = iceCandidate(n);
    sentAt.set(candidate.candidate, performance.now());
    acks.push(
      call.caller.send('call:ice-candidate', { callId: call.callId, candidate }).then(
        (a) => (a.ok ? 'ok' : a.error.code),
        (e: Error) => e.message,
      ),
    );
    await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
  }
  finished = true;
  // A sample lost for good shows as a short list, not a hang: the caller compares counts.
  let timer: NodeJS.Timeout | undefined;
  if (latencies.length < sentAt.size) await Promise.race([allArrived, new Promise((r) => (timer = setTimeout(r, 3000)))]);
  clearTimeout(timer);
  call.callee.socket.off('call:ice-candidate', arrived);
  const refused = (await Promise.all(acks)).filter((a) => a !== 'ok');
  return { latencies, sent: sentAt.size, refused };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the command: utime and stime are fields 12 and 13, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
