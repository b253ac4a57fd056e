import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type PushJob, type PushReportJob, pushBackoffMs, pushJobId } from '#contracts';
import { ApnsClientAdapter, type ApnsAnswer } from './apns-client.adapter.js';
import { ApnsTransportError } from './apns-transport-error.js';
import { buildNotification, maxPayloadBytes, payloadBytes } from './apns-notification.factory.js';
import { judge } from './apns-outcome.js';
import { DeliveryMarks } from './delivery-marks.service.js';
import { PushReporter } from './push-reporter.service.js';

type Reporter = (fields: Partial<PushReportJob> & Pick<PushReportJob, 'outcome'>) => Promise<void>;

/** What the processor must do with the job after this attempt. */
export type Next = 'done' | 'retry' | 'give-up';

/** One delivery attempt of one push, its report, and whether Bull should try again. */
@Injectable()
export class PushService {
  constructor(
    private readonly apns: ApnsClientAdapter,
    private readonly reporter: PushReporter,
    private readonly marks: DeliveryMarks,
  ) {}

  async attempt(job: PushJob, attempt: number): Promise<Next> {
    const report: Reporter = (fields) =>
      this.reporter.report({
        reportId: randomUUID(),
        callId: job.callId,
        userId: job.userId,
        deviceId: job.deviceId,
        kind: job.kind,
        token: job.token,
        attempt,
        apnsId: null,
        status: null,
        reason: null,
        latencyMs: null,
        invalidSince: null,
        at: new Date().toISOString(),
        ...fields,
      });
    const expiresAt = Date.parse(job.expiresAt);
    const pushId = pushJobId(job.kind, job.callId, job.deviceId);
    if (await this.marks.delivered(pushId)) return 'done';
    // A VoIP push after the ring deadline can only ring a dead call: drop it, never send it.
    if (Date.now() >= expiresAt) return report({ outcome: 'expired' }).then(() => 'give-up');

    const notification = buildNotification(job, new Date());
    if (payloadBytes(notification) > maxPayloadBytes(job))
      return report({ outcome: 'failed', reason: 'PayloadTooLarge' }).then(() => 'give-up');

    let answer: ApnsAnswer;
    try {
      answer = await this.apns.send(job.environment, notification);
      // The adapter has retired the rejected provider token; one retry goes out with a fresh one.
      if (judge(answer) === 'refresh-provider-token') {
        await report({ ...this.fields(answer), outcome: 'retrying' });
        answer = await this.apns.send(job.environment, buildNotification(job, new Date()));
      }
    } catch (error) {
      if (!(error instanceof ApnsTransportError)) throw error;
      const fields = { apnsId: error.apnsId, reason: error.code };
      // APNs took in a stream its GOAWAY covered: sending it again would ring the phone twice.
      if (error.covered) return this.delivered(report, fields, pushId, expiresAt);
      return this.retryOrExpire(report, fields, attempt, expiresAt);
    }
    const verdict = judge(answer);
    if (verdict === 'delivered') return this.delivered(report, this.fields(answer), pushId, expiresAt);
    if (verdict === 'retrying') return this.retryOrExpire(report, this.fields(answer), attempt, expiresAt);
    if (verdict === 'token-invalid')
      return report({ ...this.fields(answer), outcome: 'token-invalid', invalidSince: answer.timestamp }).then(() => 'give-up');
    return report({ ...this.fields(answer), outcome: 'failed' }).then(() => 'give-up');
  }

  private async delivered(report: Reporter, fields: Partial<PushReportJob>, pushId: string, expiresAt: number): Promise<Next> {
    // Both must be in Redis before the job completes; neither needs the other first.
    await Promise.all([this.marks.mark(pushId, expiresAt), report({ ...fields, outcome: 'delivered' })]);
    return 'done';
  }

  private async retryOrExpire(report: Reporter, fields: Partial<PushReportJob>, attempt: number, expiresAt: number): Promise<Next> {
    const retryAt = Date.now() + pushBackoffMs(attempt);
    if (retryAt >= expiresAt) {
      await report({ ...fields, outcome: 'expired' });
      return 'give-up';
    }
    await report({ ...fields, outcome: 'retrying' });
    return 'retry';
  }

  private fields(answer: ApnsAnswer): Partial<PushReportJob> {
    return { apnsId: answer.apnsId, status: answer.status, reason: answer.reason, latencyMs: answer.latencyMs };
  }
}
