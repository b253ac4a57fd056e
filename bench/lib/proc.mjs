// Per-process CPU and RSS from /proc (Linux only; null elsewhere), for the relay processes under test.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

const readProc = (pid, file) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
};
/** Fields of /proc/<pid>/stat from field 3 (state) on: the command name may hold spaces. */
const statFields = (pid) => {
  const stat = readProc(pid, 'stat');
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : null;
};

/** Resident set size in KiB, or null. */
export const rssKiB = (pid) => {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readProc(pid, 'status') ?? '');
  return match ? Number(match[1]) : null;
};

/** User+system CPU time in ms, or null. */
export const cpuMs = (pid) => {
  const fields = statFields(pid);
  return fields ? ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK : null;
};

/** The sum of `read(pid)` over pids, or null when any is unknown. */
export const sumOver = (pids, read) => {
  const values = pids.map((pid) => (pid ? read(pid) : null));
  return values.some((v) => v === null) ? null : values.reduce((a, b) => a + b, 0);
};

/**
 * AppProcess keeps its child private, so find the app processes this section started: children of
 * this process running `script`, matched to the ports asked for by the PORT in their environment.
 */
export function childPidsByPort(script, ports) {
  const byPort = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(statFields(entry)?.[1]) !== process.pid) continue;
    if (!(readProc(entry, 'cmdline') ?? '').includes(script)) continue;
    const port = /(?:^|\0)PORT=(\d+)(?:\0|$)/.exec(readProc(entry, 'environ') ?? '')?.[1];
    if (port) byPort.set(Number(port), Number(entry));
  }
  return ports.map((p) => byPort.get(p) ?? null);
}

export const gatewayPids = (gateways) =>
  childPidsByPort(
    'dist/apps/gateway/src/main.js',
    gateways.map((g) => g.port),
  );
