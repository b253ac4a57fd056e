// The benchmark's baseline: one bare Socket.IO node, Redis adapter, no Nest, no auth, no validation,
// no outbox. Started as its own process by relay.bench.mjs (two of them, sharing rooms over Redis),
// so it is measured exactly like a gateway node. Not part of the platform.
//
// env: PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE. Prints "ready" on stdout once listening.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';

const { PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE } = process.env;
if (!PORT || !REDIS_URL || !REDIS_PREFIX || !NAMESPACE) throw new Error('baseline server needs PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE');

const pub = new Redis(REDIS_URL, { maxRetriesPerRequest: null, connectionName: 'bench-baseline-pub' });
const sub = pub.duplicate({ connectionName: 'bench-baseline-sub' });
const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
// Same adapter options as the gateway's RedisIoAdapter.
io.adapter(createAdapter(pub, sub, { key: `${REDIS_PREFIX}socket.io`, publishOnSpecificResponseChannel: true }));

const ns = io.of(NAMESPACE);
ns.on('connection', (socket) => {
  // The client names itself and its peer: `device:<user>:<device>` rooms, as on the platform.
  const { userId, deviceId, peerRoom } = socket.handshake.auth;
  socket.join(`device:${userId}:${deviceId}`);
  let seq = 0; // in memory: same wire payload as the platform (it carries a seq), none of the outbox's cost
  socket.on('call:ice-candidate', (payload, ack) => {
    socket.to(peerRoom).emit('call:ice-candidate', { ...payload, seq: ++seq });
    if (typeof ack === 'function') ack({ ok: true, data: { callId: payload.callId } });
  });
});

http.listen(Number(PORT), '127.0.0.1', () => process.stdout.write('ready\n'));

const stop = () => {
  io.close(() => {
    Promise.all([pub.quit(), sub.quit()]).catch(() => undefined).finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
