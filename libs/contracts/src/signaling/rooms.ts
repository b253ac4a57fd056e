/** Socket.IO room names, shared by every gateway node through the Redis adapter. */
export const Rooms = {
  user: (userId: string) => `user:${userId}`,
  device: (userId: string, deviceId: string) => `device:${userId}:${deviceId}`,
  /** Joined by exactly the two devices carrying the call, once it is accepted; relays go here. */
  call: (callId: string) => `call:${callId}`,
} as const;
