// The call-history seed: N calls over 90 days with their timelines, users and devices, generated in
// Postgres with generate_series (no rows travel over the wire). Seeding 1M calls takes minutes, so
// a database that already holds this seed version at this size is reused as it is.
//
// Run on its own: node bench/history-seed.mjs [--calls 1000000]   (after npm run build)
import pg from 'pg';
import { TEST_POSTGRES_URL, runMigrations } from '#testing';

/** Bump when the generated data changes; a database seeded by another version is dropped and seeded again. */
export const SEED_VERSION = 2;

const DAY_MS = 86_400_000;
const SPAN_DAYS = 90;

/**
 * Share of ended calls per end reason, in the order the CASE below tests them. `failed` and
 * `ice-failed` are rare on purpose: a list filtered by them is the case a missing index hurts most.
 */
const END_REASONS = [
  ['completed', 0.58],
  ['cancelled', 0.12],
  ['missed', 0.14],
  ['declined', 0.1],
  ['busy', 0.03],
  ['connection-lost', 0.02],
  ['ice-failed', 0.008],
  ['failed', 0.002],
];

/** Timeline entry types each kind of call leaves, in order (what the calls app and gateway write). */
const TIMELINES = {
  completed: ['invited', 'push-attempt', 'ringing', 'accepted', 'offer-relayed', 'answer-relayed', 'quality-summary', 'hung-up'],
  cancelled: ['invited', 'push-attempt', 'ringing', 'cancelled'],
  missed: ['invited', 'push-attempt', 'ringing', 'missed'],
  declined: ['invited', 'push-attempt', 'ringing', 'declined'],
  busy: ['invited', 'busy'],
  'connection-lost': [
    'invited',
    'push-attempt',
    'ringing',
    'accepted',
    'offer-relayed',
    'answer-relayed',
    'disconnected',
    'resumed',
    'disconnected',
    'connection-lost',
  ],
  'ice-failed': ['invited', 'push-attempt', 'ringing', 'accepted', 'offer-relayed', 'answer-relayed', 'media-down', 'ice-failed'],
  failed: ['invited', 'push-attempt', 'ringing', 'accepted', 'offer-relayed', 'failed'],
  initiated: ['invited'],
  ringing: ['invited', 'push-attempt', 'ringing'],
  active: ['invited', 'push-attempt', 'ringing', 'accepted', 'offer-relayed', 'answer-relayed'],
};

const sqlText = (s) => `'${s.replaceAll("'", "''")}'`;
const sqlArray = (items) => `ARRAY[${items.map(sqlText).join(', ')}]::text[]`;

/** The end reason for a uniform draw `r` in [0, 1), as a SQL CASE over the shares above. */
function endReasonCase(r) {
  let cumulative = 0;
  const arms = END_REASONS.map(([reason, share]) => {
    cumulative += share;
    return `WHEN ${r} < ${cumulative.toFixed(6)} THEN ${sqlText(reason)}`;
  });
  return `CASE ${arms.join(' ')} ELSE 'completed' END`;
}

/**
 * Users: `users` of them, with a skewed share of calls (a draw r^1.5 over the user range), so a few
 * heavy users hold a thousand or more calls each while most hold a few dozen. Each user has one or
 * two iPhones. The newest 0.02 % of calls are still open (initiated, ringing or active), as on a
 * live system. Their ring deadline is set far ahead so the calls app's deadline check, which runs
 * while the bench measures, never ends them and the seed stays as it was seeded.
 */
function seedSql({ calls, users, anchor }) {
  const open = Math.max(3, Math.round(calls * 0.0002));
  const spanMs = SPAN_DAYS * DAY_MS;
  return [
    `SELECT setseed(0.42)`,
    `INSERT INTO devices (user_id, device_id, platform, voip_token, voip_token_registered_at, apns_environment, bundle_id, app_version, created_at, updated_at)
     SELECT 'user-' || u, 'user-' || u || '-iphone-' || d, 'ios', md5('voip' || u || '-' || d) || md5('t' || u || '-' || d),
            $1::timestamptz - interval '120 days', 'production', 'com.example.calls', '3.4.1',
            $1::timestamptz - interval '120 days', $1::timestamptz - interval '120 days'
     FROM generate_series(0, ${users - 1}) u CROSS JOIN generate_series(1, 2) d
     WHERE d = 1 OR u % 3 = 0`,
    `CREATE TEMP TABLE seed_calls AS
     WITH draws AS (
       SELECT i,
              floor(${users} * power(random(), 1.5))::int AS caller,
              1 + floor(${users - 1} * power(random(), 1.5))::int AS callee_offset,
              random() AS r_reason, random() AS r_media, random() AS r_ring, random() AS r_talk, random() AS r_device,
              $1::timestamptz - make_interval(secs => (i - 1)::double precision * ${spanMs / calls / 1000} + random() * ${spanMs / calls / 1000}) AS created_at
       FROM generate_series(1, ${calls}) i
     )
     SELECT i, gen_random_uuid() AS id, caller, (caller + callee_offset) % ${users} AS callee, created_at, r_media, r_ring, r_talk, r_device,
            CASE WHEN i <= ${open} THEN (ARRAY['initiated', 'ringing', 'active'])[1 + i % 3] ELSE 'ended' END AS state,
            CASE WHEN i <= ${open} THEN NULL ELSE ${endReasonCase('r_reason')} END AS end_reason
     FROM draws`,
    `CREATE TEMP TABLE seed_times AS
     SELECT s.*,
            CASE WHEN s.end_reason = 'busy' OR s.state = 'initiated' THEN NULL ELSE s.created_at + interval '300 ms' END AS ringing_at,
            CASE WHEN s.state = 'active' OR s.end_reason IN ('completed', 'connection-lost', 'ice-failed', 'failed')
                 THEN s.created_at + make_interval(secs => 2 + s.r_ring * 18) END AS answered_at
     FROM seed_calls s`,
    `CREATE TEMP TABLE seed_final AS
     SELECT t.*,
            CASE t.end_reason
              WHEN 'completed' THEN t.answered_at + make_interval(secs => 10 + 3600 * power(t.r_talk, 3))
              WHEN 'failed' THEN t.answered_at + interval '15 s'
              WHEN 'connection-lost' THEN t.answered_at + make_interval(secs => 30 + 600 * t.r_talk) + interval '30 s'
              WHEN 'ice-failed' THEN t.answered_at + make_interval(secs => 20 + 600 * t.r_talk) + interval '20 s'
              WHEN 'missed' THEN t.created_at + interval '45 s'
              WHEN 'busy' THEN t.created_at + interval '40 ms'
              WHEN 'declined' THEN t.ringing_at + make_interval(secs => 1 + 10 * t.r_ring)
              WHEN 'cancelled' THEN t.ringing_at + make_interval(secs => 1 + 30 * t.r_ring)
            END AS ended_at
     FROM seed_times t`,
    `INSERT INTO calls (id, state, end_reason, media, caller_id, caller_device_id, caller_name, callee_id, answered_device_id,
                        created_at, ringing_at, answered_at, ended_at, ring_deadline, duration_ms, last_seq, quality_summary,
                        reconnects, relayed)
     SELECT f.id, f.state, f.end_reason, CASE WHEN f.r_media < 0.8 THEN 'video' ELSE 'audio' END,
            'user-' || f.caller, 'user-' || f.caller || '-iphone-' || CASE WHEN f.caller % 3 = 0 AND f.r_device < 0.5 THEN 2 ELSE 1 END,
            'User ' || f.caller, 'user-' || f.callee,
            CASE WHEN f.answered_at IS NULL THEN NULL ELSE 'user-' || f.callee || '-iphone-1' END,
            f.created_at, f.ringing_at, f.answered_at, f.ended_at,
            CASE WHEN f.state IN ('initiated', 'ringing') THEN timestamptz '2100-01-01' ELSE f.created_at + interval '45 s' END,
            CASE WHEN f.state <> 'ended' THEN NULL WHEN f.answered_at IS NULL THEN 0
                 ELSE (extract(epoch FROM f.ended_at - f.answered_at) * 1000)::int END,
            cardinality(CASE COALESCE(f.end_reason, f.state) ${Object.entries(TIMELINES)
              .map(([k, types]) => `WHEN ${sqlText(k)} THEN ${sqlArray(types)}`)
              .join(' ')} END),
            CASE WHEN f.end_reason = 'completed' THEN jsonb_build_object(
              'caller', jsonb_build_object('rttMs', 20 + floor(f.r_talk * 180), 'packetLossPct', round((f.r_ring * 3)::numeric, 2), 'jitterMs', floor(f.r_ring * 40),
                                           'candidateType', CASE WHEN f.r_device < 0.12 THEN 'relay' ELSE 'srflx' END),
              'callee', jsonb_build_object('rttMs', 20 + floor(f.r_ring * 180), 'packetLossPct', round((f.r_talk * 3)::numeric, 2), 'jitterMs', floor(f.r_talk * 40),
                                           'candidateType', CASE WHEN f.r_device < 0.12 THEN 'relay' ELSE 'host' END))
            END,
            -- As the writers keep them: one resume per connection-lost timeline, relayed from the summaries.
            CASE WHEN f.end_reason = 'connection-lost' THEN 1 ELSE 0 END,
            f.end_reason IS NOT DISTINCT FROM 'completed' AND f.r_device < 0.12
     FROM seed_final f
     ORDER BY f.id`,
    // Sorted by call id so the (call_id, seq) index fills in order instead of at random.
    `INSERT INTO call_timeline (call_id, seq, type, at, actor_user_id, actor_device_id, data)
     SELECT c.id, e.seq, e.type,
            CASE e.type
              WHEN 'invited' THEN c.created_at
              WHEN 'push-attempt' THEN c.created_at + interval '120 ms'
              WHEN 'ringing' THEN COALESCE(c.ringing_at, c.created_at)
              WHEN 'accepted' THEN c.answered_at
              WHEN 'offer-relayed' THEN c.answered_at + interval '150 ms'
              WHEN 'answer-relayed' THEN c.answered_at + interval '400 ms'
              ELSE COALESCE(c.ended_at, c.created_at + e.seq * interval '1 s')
            END,
            CASE WHEN e.type IN ('invited', 'cancelled', 'hung-up') THEN c.caller_id WHEN e.type IN ('push-attempt', 'ringing', 'accepted', 'declined') THEN c.callee_id END,
            CASE WHEN e.type IN ('invited', 'cancelled', 'hung-up') THEN c.caller_device_id
                 WHEN e.type IN ('push-attempt', 'ringing', 'accepted', 'declined') THEN c.callee_id || '-iphone-1' END,
            CASE e.type
              WHEN 'push-attempt' THEN jsonb_build_object('kind', 'voip', 'outcome', 'delivered', 'status', 200, 'apnsId', c.id)
              WHEN 'quality-summary' THEN c.quality_summary
              WHEN 'resumed' THEN jsonb_build_object('awayMs', 4000)
            END
     FROM calls c
     CROSS JOIN LATERAL unnest(CASE COALESCE(c.end_reason, c.state) ${Object.entries(TIMELINES)
       .map(([k, types]) => `WHEN ${sqlText(k)} THEN ${sqlArray(types)}`)
       .join(' ')} END) WITH ORDINALITY AS e(type, seq)
     ORDER BY c.id, e.seq`,
  ];
}

const META = 'bench_history_seed';

async function readMeta(url) {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return null;
  }
  try {
    const { rows } = await client.query(`SELECT version, calls, anchor FROM ${META} WHERE complete`);
    return rows[0] ?? null;
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

async function onServer(serverUrl, sql) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * A migrated database holding `calls` seeded calls: reused when it holds this seed version at this
 * size, seeded from scratch otherwise. `anchor` is the seed's "now": calls span the 90 days before it.
 */
export async function ensureHistorySeed({ calls, serverUrl = TEST_POSTGRES_URL, log = () => undefined }) {
  const name = `vc_bench_history_${calls}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const existing = await readMeta(databaseUrl);
  if (existing && existing.version === SEED_VERSION && Number(existing.calls) === calls) {
    // Reused as it is, but brought to the current schema: a new migration runs on the seeded rows.
    await runMigrations(databaseUrl);
    return { url: databaseUrl, name, anchor: existing.anchor, reused: true, seedMs: 0 };
  }
  const started = Date.now();
  log(`seeding ${calls} calls into ${name} (seed v${SEED_VERSION})`);
  await onServer(serverUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await onServer(serverUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await runMigrations(databaseUrl);
  const anchor = new Date(Math.floor(Date.now() / 1000) * 1000);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Generated data can be regenerated: skip the WAL flush per commit and give sorts room.
    await client.query(`SET synchronous_commit = off`);
    await client.query(`SET work_mem = '256MB'`);
    await client.query(`SET maintenance_work_mem = '512MB'`);
    await client.query(
      `CREATE TABLE ${META} (version int NOT NULL, calls int NOT NULL, anchor timestamptz NOT NULL, complete boolean NOT NULL)`,
    );
    await client.query('BEGIN');
    for (const sql of seedSql({ calls, users: Math.max(50, Math.round(calls / 50)), anchor })) {
      const at = Date.now();
      await client.query(sql, sql.includes('$1') ? [anchor] : []);
      log(`  ${sql.trim().split('\n')[0].slice(0, 70)}… ${Date.now() - at} ms`);
    }
    await client.query(`INSERT INTO ${META} VALUES ($1, $2, $3, true)`, [SEED_VERSION, calls, anchor]);
    await client.query('COMMIT');
    // Fresh statistics and a set visibility map, as autovacuum would leave a table at rest.
    await client.query('VACUUM (ANALYZE) calls, call_timeline, devices');
  } catch (error) {
    await client.end().catch(() => undefined);
    // Half a seed must not be mistaken for a whole one by the next run.
    await onServer(serverUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).catch(() => undefined);
    throw error;
  }
  await client.end();
  return { url: databaseUrl, name, anchor, reused: false, seedMs: Date.now() - started };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const at = process.argv.indexOf('--calls');
  const calls = at > 0 ? Number(process.argv[at + 1]) : 1_000_000;
  const seed = await ensureHistorySeed({ calls, log: (line) => console.log(line) });
  console.log(JSON.stringify(seed));
}
