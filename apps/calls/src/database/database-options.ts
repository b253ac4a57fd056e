import type { DataSourceOptions } from 'typeorm';
import { Call } from '../calls/call.entity.js';
import { CallInvite } from '../calls/call-invite.entity.js';
import { CallTimelineEntry } from '../calls/call-timeline-entry.entity.js';
import { Device } from '../devices/device.entity.js';
import { CreateCalls1764080000000 } from './migrations/1764080000000-create-calls.js';
import { CreateDevices1764090000000 } from './migrations/1764090000000-create-devices.js';
import { AddConnectionState1764100000000 } from './migrations/1764100000000-add-connection-state.js';
import { AddQualitySummary1764110000000 } from './migrations/1764110000000-add-quality-summary.js';
import { DurableEventsAndDeadlines1764120000000 } from './migrations/1764120000000-durable-events-and-deadlines.js';
import { HistoryIndexes1796215000000 } from './migrations/1796215000000-history-indexes.js';
import { HistoryFilters1796300000000 } from './migrations/1796300000000-history-filters.js';
import { CallStatsHourly1796300000001 } from './migrations/1796300000001-call-stats-hourly.js';
import { CompactQualitySamples1796400000000 } from './migrations/1796400000000-compact-quality-samples.js';
import { PreparingClient } from './prepared-statements.js';

/** Schema changes go through migrations only; `synchronize` stays off everywhere, dev included. */
export function databaseOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [Call, CallTimelineEntry, CallInvite, Device],
    migrations: [
      CreateCalls1764080000000,
      CreateDevices1764090000000,
      AddConnectionState1764100000000,
      AddQualitySummary1764110000000,
      DurableEventsAndDeadlines1764120000000,
      HistoryIndexes1796215000000,
      HistoryFilters1796300000000,
      CallStatsHourly1796300000001,
      CompactQualitySamples1796400000000,
    ],
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    extra: { max: 20, application_name: 'calls', Client: PreparingClient },
  };
}
