/** Socket.IO room names, shared by every gateway node through the Redis adapter. */
export const Rooms = {
  user: (userId: string) => `user:${userId}`,
  device: (userId: string, deviceId: string) => `device:${userId}:${deviceId}`,
} as const;
