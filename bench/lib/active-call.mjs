// An answered call as the relay and resume sections need it: both parties connected where asked,
// the offer relayed, and ICE reported connected by both, as real phones do once media flows.
import { randomUUID } from 'node:crypto';

/**
 * Resolves with the two TestDevices, the call id and each side's resume token. Without the ICE
 * reports the calls app would end the call as failed after CONNECT_TIMEOUT_MS, mid-run.
 */
export async function activeCall(platform, callerNode, calleeNode) {
  const tag = randomUUID().slice(0, 8);
  const caller = await platform.device(`bench-alice-${tag}`, { deviceId: 'alice-phone', gateway: callerNode });
  const callee = await platform.device(`bench-bob-${tag}`, { deviceId: 'bob-phone', gateway: calleeNode });
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: `bench-${tag}` });
  const accepted = await callee.must('call:accept', { callId });
  const callerAccepted = await caller.next('call:accepted', (p) => p.callId === callId);
  await caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\n' } });
  await callee
    .next('call:sdp', (p) => p.callId === callId)
    .catch((error) => {
      const where = callerNode === calleeNode ? 'on the same node' : 'on the other node';
      throw new Error(`the offer was acked but never reached the callee ${where}: ${error.message}`);
    });
  await caller.must('call:ice-state', { callId, state: 'connected' });
  await callee.must('call:ice-state', { callId, state: 'connected' });
  return { caller, callee, callId, callerToken: callerAccepted.resumeToken, calleeToken: accepted.resumeToken };
}
