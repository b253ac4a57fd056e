import type { ChildProcess } from 'node:child_process';

/**
 * Waits for the line a server prints once it accepts connections (stdout or stderr): the event that
 * proves it is ready, where polling its port would only guess how often to look. 'exited' if the
 * process ends first, 'timeout' if neither happens within `timeoutMs`.
 */
export function printed(child: ChildProcess, ready: RegExp, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  return new Promise((resolve) => {
    let output = '';
    const done = (outcome: 'ready' | 'exited' | 'timeout') => {
      clearTimeout(timer);
      child.stdout?.off('data', read);
      child.stderr?.off('data', read);
      child.off('close', exited);
      child.off('error', exited);
      resolve(outcome);
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) done('ready');
    };
    const exited = () => done('exited');
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('close', exited);
    child.once('error', exited);
  });
}
