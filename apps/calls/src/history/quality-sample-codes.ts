import type { CallRole, QualitySample } from '#contracts';

/**
 * How `call_quality_samples` stores the party and the candidate type: as the index into these
 * lists. Stored rows keep their meaning only while the order does, so the lists are written out
 * here rather than taken from the contract's enums, and only ever grow at the end (a unit test
 * fails when the contract has a value with no code).
 */
export const PARTY_CODES = ['caller', 'callee'] as const satisfies readonly CallRole[];
export const CANDIDATE_TYPE_CODES = ['host', 'srflx', 'prflx', 'relay'] as const satisfies readonly NonNullable<
  QualitySample['candidateType']
>[];

/** A SQL expression that reads a stored code back as its name. */
export const decodeSql = (codes: readonly string[], column: string) => `(ARRAY['${codes.join("','")}'])[${column} + 1]`;

/** The measurements, each with its column; `frames_decoded` is the only integer. */
export const MEASURES = [
  ['rttMs', 'rtt_ms'],
  ['jitterMs', 'jitter_ms'],
  ['packetLossPct', 'packet_loss_pct'],
  ['inboundKbps', 'inbound_kbps'],
  ['outboundKbps', 'outbound_kbps'],
  ['framesPerSecond', 'frames_per_second'],
  ['framesDecoded', 'frames_decoded'],
] as const satisfies readonly (readonly [keyof QualitySample, string])[];

export const MEASURE_COLUMNS = MEASURES.map(([, column]) => column);
