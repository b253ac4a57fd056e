// The setup section's baseline: one bare Socket.IO node with the gateway's Redis adapter options,
// answering the same message pattern as a full call (invite, ringing, accept, offer/answer, candidates,
// hangup) with the same events, but with no auth, validation, database or outbox: the cost of the
// transport alone. Started as its own process (two of them, sharing rooms over Redis) by setup.mjs.
//
// env: PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE. Prints "ready" on stdout once listening.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';

const { PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE } = process.env;
if (!PORT || !REDIS_URL || !REDIS_PREFIX || !NAMESPACE) throw new Error('baseline server needs PORT, REDIS_URL, REDIS_PREFIX, NAMESPACE');

const pub = new Redis(REDIS_URL, { maxRetriesPerRequest: null, connectionName: 'bench-setup-baseline-pub' });
const sub = pub.duplicate({ connectionName: 'bench-setup-baseline-sub' });
const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
io.adapter(createAdapter(pub, sub, { key: `${REDIS_PREFIX}socket.io`, publishOnSpecificResponseChannel: true }));

const ns = io.of(NAMESPACE);
ns.on('connection', (socket) => {
  // The client names itself and its peer; rooms as on the platform.
  const { userId, peerUserId } = socket.handshake.auth;
  const peer = `user:${peerUserId}`;
  socket.join(`user:${userId}`);
  let seq = 0;
  const ok = (ack, data) => typeof ack === 'function' && ack({ ok: true, data });
  socket.on('call:invite', (payload, ack) => {
    const callId = randomUUID();
    socket.to(peer).emit('call:incoming', { callId, version: 1, caller: { userId, displayName: null }, media: payload.media });
    ok(ack, { callId, state: 'initiated', role: 'caller', merged: false });
  });
  socket.on('call:ringing', ({ callId }, ack) => {
    socket.to(peer).emit('call:ringing', { callId, version: 2 });
    ok(ack, { callId, state: 'ringing' });
  });
  socket.on('call:accept', ({ callId }, ack) => {
    socket.to(peer).emit('call:accepted', { callId, version: 3, role: 'caller' });
    ok(ack, { callId, state: 'active', version: 3, role: 'callee' });
  });
  for (const event of ['call:sdp', 'call:ice-candidate'])
    socket.on(event, (payload, ack) => {
      socket.to(peer).emit(event, { ...payload, seq: ++seq, epoch: 'e' });
      ok(ack, { callId: payload.callId });
    });
  socket.on('call:hangup', ({ callId }, ack) => {
    const ended = { callId, version: 4, reason: 'completed' };
    socket.emit('call:ended', ended);
    socket.to(peer).emit('call:ended', ended);
    ok(ack, { callId, state: 'ended' });
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
