import { Call } from './call.entity.js';

/** Each column of `calls` and the entity property it fills. */
const COLUMNS: [column: string, property: keyof Call][] = [
  ['id', 'id'],
  ['state', 'state'],
  ['end_reason', 'endReason'],
  ['media', 'media'],
  ['caller_id', 'callerId'],
  ['caller_device_id', 'callerDeviceId'],
  ['caller_name', 'callerName'],
  ['callee_id', 'calleeId'],
  ['answered_device_id', 'answeredDeviceId'],
  ['created_at', 'createdAt'],
  ['ringing_at', 'ringingAt'],
  ['answered_at', 'answeredAt'],
  ['ended_at', 'endedAt'],
  ['ring_deadline', 'ringDeadline'],
  ['duration_ms', 'durationMs'],
  ['last_seq', 'lastSeq'],
  ['caller_disconnected_at', 'callerDisconnectedAt'],
  ['callee_disconnected_at', 'calleeDisconnectedAt'],
  ['caller_ice_state', 'callerIceState'],
  ['callee_ice_state', 'calleeIceState'],
  ['media_down_since', 'mediaDownSince'],
  ['caller_carrier', 'callerCarrier'],
  ['callee_carrier', 'calleeCarrier'],
  ['connect_deadline', 'connectDeadline'],
  ['quality_summary', 'qualitySummary'],
  ['reconnects', 'reconnects'],
  ['relayed', 'relayed'],
];

/**
 * A select list of every column of `calls` (of table alias `alias`), named as the entity's
 * properties, for the raw SQL of the hot paths: a row read this way is a `Call` once its prototype
 * is set, with no TypeORM query building.
 */
export const callColumns = (alias = 'calls') => COLUMNS.map(([column, property]) => `${alias}.${column} AS "${property}"`).join(', ');

export const CALL_COLUMNS = callColumns();

export const toCall = (row: Record<string, unknown>): Call => Object.assign(new Call(), row);
