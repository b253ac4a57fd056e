// A load-generator process for the connections section: opens `count` authenticated sockets to one
// server and keeps them idle until told to close. Forked with IPC; config in the environment
// (URL, JWT_SECRET, COUNT, USER_PREFIX, CONCURRENCY). Reports {connected, failed} once all tried.
import { io } from 'socket.io-client';
import { mintToken } from '#testing';

const { URL: url, JWT_SECRET, COUNT, USER_PREFIX, CONCURRENCY = '50' } = process.env;
const sockets = [];
let failed = 0;
let firstError = null;

async function open(i) {
  const token = await mintToken(JWT_SECRET, `${USER_PREFIX}${i}`);
  const socket = io(url, {
    auth: { token, deviceId: 'phone', appState: 'foreground' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise((resolve) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (error) => {
      failed += 1;
      firstError ??= error.message;
      resolve();
    });
  });
  sockets.push(socket);
}

let next = 0;
const total = Number(COUNT);
await Promise.all(
  Array.from({ length: Math.min(Number(CONCURRENCY), total) }, async () => {
    while (next < total) await open(next++);
  }),
);
process.send({ connected: total - failed, failed, firstError });
process.on('message', (message) => {
  if (message !== 'close') return;
  for (const socket of sockets) socket.close();
  process.disconnect();
});
// The section gone (or done with us): nothing to stay up for.
process.on('disconnect', () => process.exit(0));
