import fc from 'fast-check';
import { ClientEvents, type ClientEventName, type ClientPayload, isClientEventName } from '#contracts';
import { iceCandidate } from '#testing';
import { junk } from './junk.js';
import { nearValid } from './mutation.js';

/** What one hostile message is: the event, the arguments before the ack, and whether an ack goes with it. */
export interface SocketInput {
  event: string;
  args: unknown[];
  ack: boolean;
  kind: 'junk' | 'near-valid' | 'unknown-event' | 'no-ack';
  broke?: string;
}

/** The calls the payloads point at: one that exists (the fuzzing user is no party to it) and its callee. */
export interface Targets {
  callId: string;
  calleeId: string;
}

/**
 * A valid payload of every client event, from the contracts' own event list: a new event fails to
 * compile until it has one here, and is fuzzed from then on.
 */
export const validPayloads = (t: Targets): { [E in ClientEventName]: () => ClientPayload<E> } => ({
  'call:invite': () => ({ calleeId: t.calleeId, media: 'video', idempotencyKey: 'hostile-key-0001' }),
  'call:ringing': () => ({ callId: t.callId }),
  'call:accept': () => ({ callId: t.callId }),
  'call:decline': () => ({ callId: t.callId }),
  'call:cancel': () => ({ callId: t.callId }),
  'call:hangup': () => ({ callId: t.callId }),
  'call:sdp': () => ({ callId: t.callId, description: { type: 'offer', sdp: 'v=0\r\n' }, iceRestart: false }),
  'call:ice-candidate': () => ({ callId: t.callId, candidate: { ...iceCandidate(1), usernameFragment: 'abcd' } }),
  'call:media-state': () => ({ callId: t.callId, state: { camera: 'front', videoEnabled: true, audioMuted: false } }),
  'call:ice-state': () => ({ callId: t.callId, state: 'connected' }),
  'call:ice-servers': () => ({ callId: t.callId }),
  'call:quality': () => ({
    callId: t.callId,
    sample: { at: new Date().toISOString(), rttMs: 20, packetLossPct: 0, candidateType: 'host' },
    final: false,
  }),
  'call:state': () => ({ callId: t.callId }),
  'call:resume': () => ({ callId: t.callId, resumeToken: 'not-a-token', lastSeq: 0, epoch: 1 }),
  'session:app-state': () => ({ state: 'background' }),
  'session:refresh': () => ({ token: 'not.a.jwt' }),
});

// Socket.IO's own event names: the client refuses to send them, so they are no input.
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

/** Every client event in the contracts, junk and near-valid payloads, odd argument counts, unknown events, no acks. */
export function socketInput(targets: Targets): fc.Arbitrary<SocketInput> {
  const events = Object.keys(ClientEvents) as ClientEventName[];
  const valid = validPayloads(targets);
  const event = fc.constantFrom(...events);
  const junkArgs = fc.oneof({ weight: 4, arbitrary: junk.map((j) => [j]) }, { weight: 1, arbitrary: fc.array(junk, { maxLength: 3 }) });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ event, args: junkArgs }).map((i): SocketInput => ({ ...i, ack: true, kind: 'junk' })) },
    {
      weight: 4,
      arbitrary: event.chain((e) =>
        nearValid(valid[e] as () => Record<string, unknown>).map(({ payload, broke }): SocketInput => ({
          event: e,
          args: [payload],
          ack: true,
          kind: 'near-valid',
          broke,
        })),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          event: fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.constantFrom('__proto__', 'constructor', 'call:INVITE', 'call:', 'protocol:error'),
          ),
          args: junkArgs,
        })
        .filter((i) => !RESERVED.has(i.event) && !isClientEventName(i.event))
        .map((i): SocketInput => ({ ...i, ack: true, kind: 'unknown-event' })),
    },
    { weight: 1, arbitrary: fc.record({ event, args: junkArgs }).map((i): SocketInput => ({ ...i, ack: false, kind: 'no-ack' })) },
  );
}
