import type { QualitySample } from '#contracts';

interface Previous {
  at: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Compact samples from RTCPeerConnection.getStats(): round trip and candidate type from the selected
 * candidate pair, jitter/loss/fps/frames from inbound video (audio jitter when there is no video),
 * bitrates from byte counters since the previous sample.
 */
export class QualitySampler {
  private previous: Previous | null = null;
  readonly samples: QualitySample[] = [];

  async sample(pc: RTCPeerConnection): Promise<QualitySample> {
    const stats = await pc.getStats();
    const now = Date.now();
    let pair: Record<string, number | string> | undefined;
    let bytesIn = 0;
    let bytesOut = 0;
    let video: Record<string, number> | undefined;
    let audio: Record<string, number> | undefined;
    stats.forEach((report: Record<string, number | string>) => {
      if (report.type === 'candidate-pair' && (report.nominated || report.state === 'succeeded') && (!pair || report.selected))
        pair = report;
      if (report.type === 'inbound-rtp') {
        bytesIn += Number(report.bytesReceived ?? 0);
        if (report.kind === 'video') video = report as Record<string, number>;
        if (report.kind === 'audio') audio = report as Record<string, number>;
      }
      if (report.type === 'outbound-rtp') bytesOut += Number(report.bytesSent ?? 0);
    });
    const local = pair
      ? (stats.get(String(pair.localCandidateId)) as { candidateType?: QualitySample['candidateType'] } | undefined)
      : undefined;
    const inbound = video ?? audio;
    const lost = Number(inbound?.packetsLost ?? 0);
    const received = Number(inbound?.packetsReceived ?? 0);
    const seconds = this.previous ? (now - this.previous.at) / 1000 : 0;
    const sample: QualitySample = {
      at: new Date(now).toISOString(),
      ...(pair?.currentRoundTripTime !== undefined ? { rttMs: Number(pair.currentRoundTripTime) * 1000 } : {}),
      ...(inbound?.jitter !== undefined ? { jitterMs: inbound.jitter * 1000 } : {}),
      ...(received + lost > 0 ? { packetLossPct: (100 * lost) / (received + lost) } : {}),
      ...(seconds > 0
        ? {
            inboundKbps: ((bytesIn - this.previous!.bytesIn) * 8) / 1000 / seconds,
            outboundKbps: ((bytesOut - this.previous!.bytesOut) * 8) / 1000 / seconds,
          }
        : {}),
      ...(video?.framesPerSecond !== undefined ? { framesPerSecond: video.framesPerSecond } : {}),
      ...(video?.framesDecoded !== undefined ? { framesDecoded: video.framesDecoded } : {}),
      ...(local?.candidateType ? { candidateType: local.candidateType } : {}),
    };
    this.previous = { at: now, bytesIn, bytesOut };
    this.samples.push(sample);
    return sample;
  }

  /** The call's summary: medians of what was measured, the last frame count and candidate type. */
  summary(): QualitySample {
    const median = (key: 'rttMs' | 'jitterMs' | 'packetLossPct' | 'inboundKbps' | 'outboundKbps' | 'framesPerSecond') => {
      const values = this.samples
        .map((s) => s[key])
        .filter((v): v is number => v !== undefined)
        .sort((a, b) => a - b);
      return values.length ? { [key]: values[Math.floor(values.length / 2)]! } : {};
    };
    const last = this.samples.at(-1);
    return {
      at: new Date().toISOString(),
      ...median('rttMs'),
      ...median('jitterMs'),
      ...median('packetLossPct'),
      ...median('inboundKbps'),
      ...median('outboundKbps'),
      ...median('framesPerSecond'),
      ...(last?.framesDecoded !== undefined ? { framesDecoded: last.framesDecoded } : {}),
      ...(last?.candidateType ? { candidateType: last.candidateType } : {}),
    };
  }
}
