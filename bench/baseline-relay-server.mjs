// The benchmarks' baseline: one bare Socket.IO node, Redis adapter, no Nest, no validation, no
// outbox. Started as its own process by the bench sections (bench/lib/baseline-node.mjs), so it is
// measured exactly like a gateway node. Not part of the platform.
//
// env: PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE; AUTH_JWT_SECRET (optional, see below). Prints
// "ready" on stdout once listening.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';

const { PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE, AUTH_JWT_SECRET } = process.env;
if (!PORT || !REDIS_URL || !REDIS_PREFIX || !NAMESPACE) throw new Error('baseline server needs PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE');

const pub = new Redis(REDIS_URL, { maxRetriesPerRequest: null, connectionName: 'bench-baseline-pub' });
const sub = pub.duplicate({ connectionName: 'bench-baseline-sub' });
const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
// Same adapter options as the gateway's RedisIoAdapter.
io.adapter(createAdapter(pub, sub, { key: `${REDIS_PREFIX}socket.io`, publishOnSpecificResponseChannel: true }));

const ns = io.of(NAMESPACE);
if (AUTH_JWT_SECRET) {
  // The idle-socket baseline is an *authenticated* socket, as on the gateway: the same HS256 token
  // checked once at the handshake, the identity kept on socket.data, the user and device rooms joined.
  const key = new TextEncoder().encode(AUTH_JWT_SECRET);
  ns.use(async (socket, next) => {
    try {
      const { payload } = await jwtVerify(socket.handshake.auth.token, key, { algorithms: ['HS256'] });
      socket.data = { userId: payload.sub, deviceId: socket.handshake.auth.deviceId };
      await socket.join([`user:${payload.sub}`, `device:${payload.sub}:${socket.handshake.auth.deviceId}`]);
      next();
    } catch {
      next(new Error('unauthorized'));
    }
  });
}
ns.on('connection', (socket) => {
  // Unauthenticated (the relay bench), the client names itself and its peer: `device:<user>:<device>`
  // rooms, as on the platform.
  const { userId, deviceId, peerRoom } = socket.handshake.auth;
  if (!AUTH_JWT_SECRET) socket.join(`device:${userId}:${deviceId}`);
  let seq = 0; // in memory: same wire payload as the platform (it carries a seq), none of the outbox's cost
  socket.on('call:ice-candidate', (payload, ack) => {
    socket.to(peerRoom).emit('call:ice-candidate', { ...payload, seq: ++seq });
    if (typeof ack === 'function') ack({ ok: true, data: { callId: payload.callId } });
  });
});

http.listen(Number(PORT), '127.0.0.1', () => process.stdout.write('ready\n'));

const stop = () => {
  io.close(() => {
    Promise.all([pub.quit(), sub.quit()])
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
