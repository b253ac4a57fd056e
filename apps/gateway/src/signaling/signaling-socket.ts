import type { Namespace, Socket } from 'socket.io';
import { type ClientToServerEvents, Rooms, type ServerToClientEvents, type SocketSession } from '#contracts';

export interface SupersedeNotice {
  callId: string;
  userId: string;
  deviceId: string;
  carrierId: string;
  /** The peer's device room: its sockets' relays to the resumed device are flushed too. */
  peer: string | null;
}

/** Between gateway nodes (Socket.IO serverSideEmit over the Redis adapter). */
export interface NodeEvents {
  /**
   * A device resumed a call on connection `carrierId`: its older sockets elsewhere no longer carry
   * it. Each node acks, with its CallOutbox node id, once what it had numbered in the call (either
   * way) is stored.
   */
  'carrier:superseded': (notice: SupersedeNotice, ack: (node: string) => void) => void;
}

/** Sockets and namespaces of protocol v1, typed by the event maps in #contracts. */
export type SignalingSocket = Socket<ClientToServerEvents, ServerToClientEvents, NodeEvents, SocketSession>;
export type SignalingNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, NodeEvents, SocketSession>;

/** What a socket middleware sees of a client message: its event name, then its arguments (the ack last). */
export type ClientPacket = [string, ...unknown[]];

/** This node's sockets in a room, synchronously (the local adapter's view, no Redis round trip). */
export function localSockets(ns: SignalingNamespace, room: string): SignalingSocket[] {
  return [...(ns.adapter.rooms.get(room) ?? [])].map((id) => ns.sockets.get(id)).filter((s): s is SignalingSocket => s !== undefined);
}

/** The other sockets of this socket's device on this node (a device may briefly hold two). */
export function sameDeviceSockets(ns: SignalingNamespace, socket: SignalingSocket): SignalingSocket[] {
  return localSockets(ns, Rooms.device(socket.data.userId, socket.data.deviceId)).filter((s) => s.id !== socket.id);
}
