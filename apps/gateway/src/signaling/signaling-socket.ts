import type { Namespace, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, SocketSession } from '#contracts';

/** Sockets and namespaces of protocol v1, typed by the event maps in #contracts. */
export type SignalingSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketSession>;
export type SignalingNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketSession>;
