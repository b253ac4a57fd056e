import { spawn } from 'node:child_process';
import type { Coturn } from './coturn.js';

export interface TurnAllocationResult {
  /** coturn granted the allocations and the channel bindings between them. */
  ok: boolean;
  /** turnutils_uclient's output, plus why the attempt ended. */
  output: string;
}

/**
 * uclient prints this only after every client has allocated, refreshed and channel-bound to its partner's
 * relay address (-y); any refusal before that exits non-zero with "Cannot complete Allocation".
 */
const CONNECTED = 'Total connect time is';

/**
 * Tries a TURN allocation over UDP with the given credentials, as a WebRTC client would, using coturn's
 * own test client. The attempt stops once allocating succeeded: uclient then waits 1 to 6 s (random)
 * before relaying its test packets, which proves nothing more about the credentials.
 */
export async function tryTurnAllocation(
  coturn: Coturn,
  credentials: { username: string; credential: string },
  timeoutMs = 5_000,
): Promise<TurnAllocationResult> {
  // -y: two clients relay to each other, so no peer process is needed; -c: no extra RTCP allocations.
  const args = [
    '-v',
    '-y',
    '-c',
    '-n',
    '1',
    '-m',
    '1',
    '-p',
    String(coturn.port),
    '-u',
    credentials.username,
    '-w',
    credentials.credential,
    '127.0.0.1',
  ];
  const child = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise<TurnAllocationResult>((resolve, reject) => {
    let settled = false;
    const finish = (ok: boolean, why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve({ ok, output: `${output}\n[${why}]` });
    };
    const timer = setTimeout(() => finish(false, `no result within ${timeoutMs} ms`), timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(CONNECTED)) finish(true, 'allocated');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) => {
      settled = true;
      clearTimeout(timer);
      // A missing client must fail the suite, not read as "refused" and pass the negative tests.
      reject(
        error.code === 'ENOENT' ? new Error('turnutils_uclient not found on PATH: install coturn (apt-get install -y coturn)') : error,
      );
    });
    child.once('close', (code, signal) => finish(false, `uclient exited with ${code ?? signal}`));
  });
}
