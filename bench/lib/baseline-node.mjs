// Starts bench/baseline-relay-server.mjs (one bare Socket.IO node) as its own process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SIGNALING_NAMESPACE } from '#contracts';
import { TEST_REDIS_URL, freePort } from '#testing';

const SERVER = fileURLToPath(new URL('../baseline-relay-server.mjs', import.meta.url));

/**
 * Resolves once the node listens. `env` adds to the server's own (AUTH_JWT_SECRET to authenticate
 * like the gateway, NODE_OPTIONS to attach an inspector). The returned stop() is safe to call twice.
 */
export async function startBaselineNode(prefix, env = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      NAMESPACE: SIGNALING_NAMESPACE,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  let output = '';
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baseline node not ready in 10 s:\n${output}`)), 10_000);
      child.stderr.on('data', (c) => (output += c));
      child.stdout.on('data', (c) => {
        output += c;
        if (output.includes('ready')) (clearTimeout(timer), resolve());
      });
      exited.then((code) => (clearTimeout(timer), reject(new Error(`baseline node exited with ${code}:\n${output}`))));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid, url: `http://127.0.0.1:${port}${SIGNALING_NAMESPACE}`, stop };
}
