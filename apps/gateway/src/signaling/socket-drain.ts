import type { SignalingSocket } from './signaling-socket.js';

/**
 * Resolves once what was emitted on `socket` has left this process (its transport took the last
 * batch and is writable again), or the socket is gone. Engine.io sends a batch when its transport is
 * writable and buffers the rest; the transport turns writable again ('ready') once the kernel took
 * the batch, and engine.io sends what it buffered meanwhile before our listener runs. So a sender
 * that waits here between bursts holds at most a burst in memory, however slow the client reads.
 */
export async function drained(socket: SignalingSocket): Promise<void> {
  const conn = socket.conn;
  while (socket.connected && !conn.transport.writable) {
    const transport = conn.transport;
    await new Promise<void>((resolve) => {
      const done = () => {
        transport.off('ready', done);
        conn.off('close', done);
        conn.off('upgrade', done);
        resolve();
      };
      transport.on('ready', done);
      conn.on('close', done);
      conn.on('upgrade', done); // a new transport: check it instead
    });
  }
}
