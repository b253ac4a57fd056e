import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource, type EntityManager } from 'typeorm';
import {
  type CallEvent,
  type CallEventsPage,
  PUSH_QUEUE,
  type PushJob,
  Timeouts,
  callEventsChannel,
  pushJobId,
  pushJobOptions,
} from '#contracts';
import { type RedisClient, logContext } from '#infra';
import { REDIS } from '../calls/redis.provider.js';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { prepared } from '../database/prepared-statements.js';
import { FaultPoints } from './fault-points.service.js';
import { CallsMetrics } from '../metrics/calls-metrics.service.js';

/** What a committed transition must tell the world: events for the gateways, pushes for the notifier. */
export interface Announcements {
  events: CallEvent[];
  pushes?: PushJob[];
}

/** A transaction's result with what it announces. */
export interface Committed<T> extends Announcements {
  result: T;
}

type OutboxRow = { id: string; kind: 'event'; payload: CallEvent } | { id: string; kind: 'push'; payload: PushJob };

const MARK_SENT = prepared(`UPDATE call_outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`);

/** A hand-off that Redis does not confirm within this long is left to the retry loop. */
const SEND_TIMEOUT_MS = 1_000;
/** Rows younger than this are still being sent by the instance that committed them. */
const RETRY_AFTER_MS = 1_000;
const RETRY_BATCH = 500;
/** Sent rows are kept for gateways catching up after a lost subscription, then pruned. */
const RETENTION_MS = 3600_000;
const CATCH_UP_PAGE = 500;

/**
 * The transactional outbox. Events and push jobs are written in the transition's own transaction,
 * handed to Redis right after the commit, and retried from Postgres by every calls instance until
 * Redis has them: a crash between commit and publish, or Redis down, delays an announcement but
 * never loses it, and nothing is announced for a transaction that rolled back.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly channel: string;
  private timer: NodeJS.Timeout | null = null;
  private retrying = false;
  private lastPrune = 0;
  private unmarked: string[] = [];
  private marking: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
    @InjectQueue(PUSH_QUEUE) private readonly pushQueue: Queue<PushJob>,
    @Inject(CALLS_CONFIG) config: CallsConfig,
    private readonly faults: FaultPoints,
    private readonly metrics: CallsMetrics,
  ) {
    this.channel = callEventsChannel(config.REDIS_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.retry(), Timeouts.OUTBOX_RETRY_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushMarks();
  }

  /**
   * Runs `work` in one transaction with its announcements, then hands them to Redis. The caller's
   * answer does not depend on Redis: what is committed is announced, now or by the retry loop.
   */
  async commit<T>(work: (em: EntityManager) => Promise<Committed<T>>): Promise<T> {
    const { result, rows } = await this.dataSource.transaction(async (em) => {
      const committed = await work(em);
      return { result: committed.result, rows: await this.write(em, committed) };
    });
    const events = rows.flatMap((r) => (r.kind === 'event' ? [r.payload] : []));
    this.metrics.committed(events);
    this.faults.afterCommit(events.map((e) => e.type));
    await this.send(rows);
    return result;
  }

  /** Records the announcements inside the caller's transaction. */
  async write(em: EntityManager, { events, pushes = [] }: Announcements): Promise<OutboxRow[]> {
    const entries = [
      ...events.map((e) => ({ kind: 'event' as const, callId: e.call.id, payload: e })),
      // The request that caused a push goes with it to the notifier, for its log lines.
      ...pushes.map((p) => ({ kind: 'push' as const, callId: p.callId, payload: withRequestId(p) })),
    ];
    if (entries.length === 0) return [];
    const params = entries.flatMap((e) => [e.callId, e.kind, JSON.stringify(e.payload)]);
    const values = entries.map((_, i) => `($${i * 3 + 1}::uuid, $${i * 3 + 2}, $${i * 3 + 3}::jsonb)`).join(', ');
    // One text per row count, and a transition announces a handful at most.
    const inserted: { id: string }[] = await em.query(
      prepared(`INSERT INTO call_outbox (call_id, kind, payload) VALUES ${values} RETURNING id`),
      params,
    );
    return entries.map((e, i) => ({ id: inserted[i]!.id, kind: e.kind, payload: e.payload }) as OutboxRow);
  }

  /** Right after the commit. A failure is not the caller's: the rows stay unsent and are retried. */
  async send(rows: OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.deliver(rows);
      this.markSent(rows.map((r) => r.id));
    } catch (error) {
      this.logger.warn(`${rows.length} announcement(s) left for retry: ${String(error)}`);
    }
  }

  /** Committed events since `since` (stamped by their transaction), for a gateway catching up. */
  async eventsSince(since: Date, after: number): Promise<CallEventsPage> {
    const rows: { id: string; payload: CallEvent }[] = await this.dataSource.query(
      `SELECT id, payload FROM call_outbox WHERE kind = 'event' AND created_at >= $1 AND id > $2 ORDER BY id LIMIT $3`,
      [since, after, CATCH_UP_PAGE],
    );
    const events = rows.map((r) => ({ id: Number(r.id), event: r.payload }));
    return { events, next: rows.length === CATCH_UP_PAGE ? events.at(-1)!.id : null };
  }

  private async deliver(rows: OutboxRow[]): Promise<void> {
    const publish = async () => {
      const events = rows.filter((r) => r.kind === 'event');
      if (events.length === 0) return;
      const pipeline = this.redis.pipeline();
      for (const row of events) pipeline.publish(this.channel, JSON.stringify(row.payload));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
    };
    // Pushes do not wait for the events: all of a transition's pushes go to Bull in one round trip.
    const enqueue = async () => {
      const pushes = rows.flatMap((r) => (r.kind === 'push' ? [r.payload] : []));
      if (pushes.length > 0)
        await this.pushQueue.addBulk(
          pushes.map((data) => ({ data, opts: pushJobOptions(pushJobId(data.kind, data.callId, data.deviceId)) })),
        );
    };
    const work = Promise.all([publish(), enqueue()]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not confirm within ${SEND_TIMEOUT_MS} ms`)), SEND_TIMEOUT_MS);
    });
    work.catch(() => undefined); // a late failure after the timeout is already accounted for
    try {
      await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Marking is batched off the request path; a row sent twice is dropped by its version downstream. */
  private markSent(ids: string[]): void {
    this.unmarked.push(...ids);
    this.marking ??= new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => this.flushMarks());
  }

  private async flushMarks(): Promise<void> {
    const ids = this.unmarked;
    this.unmarked = [];
    this.marking = null;
    if (ids.length === 0) return;
    await this.dataSource
      .query(MARK_SENT, [ids])
      .catch((error: unknown) => this.logger.warn(`could not mark ${ids.length} announcement(s) sent: ${String(error)}`));
  }

  /** Every instance runs this; SKIP LOCKED gives each unsent row to one of them at a time. */
  private async retry(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      const sent = await this.dataSource.transaction(async (em) => {
        const rows: OutboxRow[] = await em.query(
          `SELECT id, kind, payload FROM call_outbox
            WHERE sent_at IS NULL AND created_at < clock_timestamp() - make_interval(secs => $1)
            ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [RETRY_AFTER_MS / 1000, RETRY_BATCH],
        );
        if (rows.length === 0) return 0;
        await this.deliver(rows);
        await em.query(`UPDATE call_outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
        return rows.length;
      });
      if (sent > 0) this.logger.log(`sent ${sent} announcement(s) that had waited in the outbox`);
      if (Date.now() - this.lastPrune > 60_000) {
        this.lastPrune = Date.now();
        await this.dataSource.query(
          `DELETE FROM call_outbox WHERE sent_at IS NOT NULL AND created_at < clock_timestamp() - make_interval(secs => $1)`,
          [RETENTION_MS / 1000],
        );
      }
    } catch (error) {
      this.logger.warn(`outbox retry failed, trying again in ${Timeouts.OUTBOX_RETRY_MS} ms: ${String(error)}`);
    } finally {
      this.retrying = false;
    }
  }
}

function withRequestId(push: PushJob): PushJob {
  const requestId = push.requestId ?? logContext()?.requestId;
  return requestId ? { ...push, requestId } : push;
}
