import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AdminCallView } from '#contracts';
import { toCall } from '../calls/call-row.js';
import { toAdminCallView } from '../calls/call-view.mapper.js';
import type { CallFilters } from '../calls/list-calls.query.js';
import { decodeCallCursor } from './call-cursor.js';
import { callListSql } from './call-list.sql.js';
import { type CursorRow, page } from './call-page.js';

/** Rows per statement: big enough that a million calls are a thousand statements, small enough to hold in memory. */
const EXPORT_PAGE = 1000;

/** The CSV columns: a call's flat facts (its timeline and quality summary stay in the detail). */
const CSV_COLUMNS = [
  'id',
  'createdAt',
  'state',
  'endReason',
  'media',
  'callerId',
  'callerDeviceId',
  'callerName',
  'calleeId',
  'answeredDeviceId',
  'ringingAt',
  'answeredAt',
  'endedAt',
  'durationMs',
  'reconnects',
  'relayed',
] as const satisfies readonly (keyof AdminCallView)[];

const csvField = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/**
 * Every call matching the filters, as lines, newest first. A keyset walk, page after page, each
 * page one indexed statement: memory stays one page whatever the export's size, and no statement
 * holds a snapshot (or a connection) for the whole export.
 */
@Injectable()
export class CallExportService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async *lines(filters: CallFilters, format: 'csv' | 'ndjson'): AsyncGenerator<string> {
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
    let cursor: string | null = null;
    do {
      const { sql, params } = callListSql(filters, cursor ? decodeCallCursor(cursor)! : undefined, EXPORT_PAGE + 1);
      const rows: CursorRow[] = await this.dataSource.query(sql, params);
      const batch = page(rows, EXPORT_PAGE, (row) => toAdminCallView(toCall(row)));
      yield batch.items
        .map((call) => (format === 'csv' ? CSV_COLUMNS.map((c) => csvField(call[c])).join(',') : JSON.stringify(call)))
        .join('\n')
        .concat(batch.items.length ? '\n' : '');
      cursor = batch.nextCursor;
    } while (cursor);
  }
}
