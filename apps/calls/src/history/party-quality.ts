import type { CallRole, PartyQuality } from '#contracts';

/** One party's quality samples as the detail query aggregates them (percentiles as [p50, p95]). */
export interface PartyQualityRow {
  party: CallRole;
  samples: number;
  rtt: (number | null)[] | null;
  loss: (number | null)[] | null;
  fps: (number | null)[] | null;
  candidateType: string | null;
}

const round = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 100) / 100);
const percentiles = (pair: (number | null)[] | null) => ({ p50: round(pair?.[0]), p95: round(pair?.[1]) });

export function toPartyQuality(row: PartyQualityRow | undefined): PartyQuality | null {
  if (!row) return null;
  return {
    samples: row.samples,
    rttMs: percentiles(row.rtt),
    packetLossPct: percentiles(row.loss),
    framesPerSecond: percentiles(row.fps),
    candidateType: row.candidateType,
  };
}
