import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RecentCallPage, RecentCallView } from '#contracts';
import { toCall } from '../calls/call-row.js';
import type { Call } from '../calls/call.entity.js';
import { callListSql } from './call-list.sql.js';
import { type CursorRow, page } from './call-page.js';
import type { RecentCallsQuery } from './recent-calls.query.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * What a party may see of a call it took part in: the peer, direction, media, times and outcome.
 * Devices, carriers, the timeline and quality are the platform's, not the user's.
 */
export function toRecentCall(call: Call, userId: string): RecentCallView {
  const outgoing = call.callerId === userId;
  return {
    id: call.id,
    peerId: outgoing ? call.calleeId : call.callerId,
    peerName: outgoing ? null : call.callerName,
    direction: outgoing ? 'outgoing' : 'incoming',
    media: call.media,
    state: call.state,
    endReason: call.endReason,
    createdAt: call.createdAt.toISOString(),
    answeredAt: iso(call.answeredAt),
    endedAt: iso(call.endedAt),
    durationMs: call.durationMs,
  };
}

/** The user's calls as caller and callee, by the same keyset walk as the admin list, restricted to them. */
@Injectable()
export class RecentCallsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(userId: string, query: RecentCallsQuery): Promise<RecentCallPage> {
    const { sql, params } = callListSql({ userId }, query.cursor, query.limit + 1);
    const rows: CursorRow[] = await this.dataSource.query(sql, params);
    return page(rows, query.limit, (row) => toRecentCall(toCall(row), userId));
  }
}
