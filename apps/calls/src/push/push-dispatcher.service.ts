import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource, type EntityManager } from 'typeorm';
import {
  AppState,
  type CallView,
  PUSH_QUEUE,
  type PushJob,
  type PushKind,
  TimelineType,
  needsMissedCallAlert,
  needsVoipPush,
  presenceKey,
  pushJobId,
} from '#contracts';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { type RedisClient, redisLimiter } from '#infra';
import { Call } from '../calls/call.entity.js';
import { REDIS } from '../calls/redis.provider.js';
import { appendTimeline } from '../calls/timeline.writer.js';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { Device } from '../devices/device.entity.js';

const MISSED_CALL_ALERT_TTL_MS = 24 * 3600 * 1000;

type PushTimelineType = typeof TimelineType.PUSH_QUEUED | typeof TimelineType.PUSH_SKIPPED | typeof TimelineType.PUSH_WITHDRAWN;

/**
 * Decides which of the callee's devices get which push, inside the transition's transaction. The
 * jobs it returns go to the outbox with the transition, so they reach Bull after the commit (never
 * for a call that rolled back) and are retried from Postgres if Redis is down.
 */
@Injectable()
export class PushDispatcher {
  private readonly logger = new Logger(PushDispatcher.name);
  private readonly budget: RateLimiterRedis;

  constructor(
    @InjectQueue(PUSH_QUEUE) private readonly queue: Queue<PushJob>,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.budget = redisLimiter(redis, config.REDIS_PREFIX, 'push-budget', config.PUSH_BUDGET_PER_DEVICE);
  }

  /** A new call: wake every registered device of the callee that is not already showing the app. */
  async ring(em: EntityManager, call: Call): Promise<PushJob[]> {
    const jobs: PushJob[] = [];
    for (const { device, presence } of await this.calleeDevices(em, call, 'voipToken')) {
      if (!needsVoipPush(presence)) {
        await this.record(em, call.id, device, TimelineType.PUSH_SKIPPED, { kind: 'voip', reason: 'app-in-foreground' });
        continue;
      }
      if (!(await this.withinBudget(em, call, device, 'voip'))) continue;
      jobs.push({
        kind: 'voip',
        ...this.target(call, device, device.voipToken!, `${device.bundleId}.voip`, call.ringDeadline),
        payload: {
          callId: call.id,
          callerId: call.callerId,
          callerName: call.callerName,
          media: call.media,
          ringDeadline: call.ringDeadline.toISOString(),
        },
      });
      await this.record(em, call.id, device, TimelineType.PUSH_QUEUED, { kind: 'voip' });
    }
    return jobs;
  }

  /**
   * An unanswered call is over (cancelled or missed). Its end is never a VoIP push: iOS 13+ kills an
   * app that gets one without reporting a new call. Connected devices heard `call:ended`; the others
   * get a plain alert, collapsed per call so a retry cannot show it twice.
   */
  async missed(em: EntityManager, call: Call): Promise<PushJob[]> {
    const from = call.callerName ?? call.callerId;
    const jobs: PushJob[] = [];
    for (const { device, presence } of await this.calleeDevices(em, call, 'apnsToken')) {
      if (!needsMissedCallAlert(presence)) continue;
      if (!(await this.withinBudget(em, call, device, 'missed-call'))) continue;
      jobs.push({
        kind: 'missed-call',
        ...this.target(call, device, device.apnsToken!, device.bundleId, new Date(Date.now() + MISSED_CALL_ALERT_TTL_MS)),
        alert: { title: 'Missed call', body: `Missed call from ${from}` },
      });
      await this.record(em, call.id, device, TimelineType.PUSH_QUEUED, { kind: 'missed-call' });
    }
    return jobs;
  }

  /**
   * The call stopped ringing (answered, declined, cancelled, missed): VoIP pushes still waiting or
   * backing off would ring a call that is over, so they are taken back. One already in flight
   * cannot be; the woken app then finds the call over through GET /calls/:id/state. Best effort,
   * after the commit, so Redis trouble never holds a transition's locks.
   */
  async withdraw(call: CallView): Promise<void> {
    try {
      const devices = await this.dataSource
        .getRepository(Device)
        .find({ where: { userId: call.calleeId }, select: { userId: true, deviceId: true } });
      for (const device of devices) {
        const job = await this.queue.getJob(pushJobId('voip', call.id, device.deviceId));
        if (!job || !['waiting', 'delayed'].includes(await job.getState())) continue;
        const removed = await job.remove().then(
          () => true,
          () => false,
        );
        if (removed)
          await this.dataSource.transaction((em) => this.record(em, call.id, device, TimelineType.PUSH_WITHDRAWN, { kind: 'voip' }));
      }
    } catch (error) {
      this.logger.warn({ msg: 'could not withdraw the VoIP pushes of a call', callId: call.id, err: String(error) });
    }
  }

  /**
   * Whether this device may get one more push of this kind: the call is created and rings in the
   * app whatever the answer, but nobody can make a phone show a full-screen call in a loop. Beyond
   * the budget the timeline says why no push went.
   */
  private async withinBudget(em: EntityManager, call: Call, device: Device, kind: PushKind): Promise<boolean> {
    const spent = await this.budget.consume(`${kind}:${device.userId}:${device.deviceId}`).then(
      () => false,
      (refusal: unknown) => {
        // The budget's own failure (it has an in-memory fallback) must not silence a phone.
        if (refusal instanceof Error) this.logger.warn(`push budget unavailable: ${refusal.message}`);
        return !(refusal instanceof Error);
      },
    );
    if (spent) await this.record(em, call.id, device, TimelineType.PUSH_SKIPPED, { kind, reason: 'push-budget-exhausted' });
    return !spent;
  }

  /** The callee's devices holding the given token, each with its presence (null: no live socket). */
  private async calleeDevices(em: EntityManager, call: Call, token: 'voipToken' | 'apnsToken') {
    const column = token === 'voipToken' ? 'voip_token' : 'apns_token';
    const devices = await em
      .getRepository(Device)
      .createQueryBuilder('d')
      .where(`d.user_id = :u AND d.${column} IS NOT NULL`, { u: call.calleeId })
      .getMany();
    if (devices.length === 0) return [];
    // Without presence (Redis down) every device counts as asleep: a needless push beats a silent phone.
    const values = await this.redis
      .mget(devices.map((d) => presenceKey(this.config.REDIS_PREFIX, call.calleeId, d.deviceId)))
      .catch(() => devices.map(() => null));
    return devices.map((device, i) => {
      const parsed = AppState.safeParse(values[i]);
      return { device, presence: parsed.success ? parsed.data : null };
    });
  }

  private record(em: EntityManager, callId: string, device: Device, type: PushTimelineType, data: { kind: PushKind; reason?: string }) {
    return appendTimeline(em, callId, { type, at: new Date(), actorUserId: device.userId, actorDeviceId: device.deviceId, data });
  }

  private target(call: Call, device: Device, token: string, topic: string, expiresAt: Date) {
    return {
      callId: call.id,
      userId: device.userId,
      deviceId: device.deviceId,
      token,
      environment: device.apnsEnvironment,
      topic,
      expiresAt: expiresAt.toISOString(),
    };
  }
}
