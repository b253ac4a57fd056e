import { CANDIDATE_TYPE_CODES, PARTY_CODES, decodeSql } from './quality-sample-codes.js';

/** Per party of `callId` (an SQL expression): sample count, [p50, p95] of RTT, loss and frame rate, and the most reported candidate type. */
export const partyQualitySql = (callId: string) => `
  SELECT ${decodeSql(PARTY_CODES, 'party')} AS party, count(*)::int AS samples,
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY rtt_ms) AS rtt,
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY packet_loss_pct) AS loss,
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY frames_per_second) AS fps,
         ${decodeSql(CANDIDATE_TYPE_CODES, 'mode() WITHIN GROUP (ORDER BY candidate_type)')} AS "candidateType"
  FROM call_quality_samples WHERE call_id = ${callId} GROUP BY party`;
