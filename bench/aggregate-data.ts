// Synthetic history for bench/aggregate.bench.ts, generated inside ClickHouse (INSERT … SELECT from
// numbers()) so that ten million dossiers take seconds, not a Kafka replay.
import type { ClickHouse } from '@dossier/clickhouse';

export const PROCEDURES = 200;
export const AGENCIES = 300;
const SPAN_SECONDS = 5 * 365 * 86_400; // 2021-01-01 … end of 2025

export async function insertCatalog(clickhouse: ClickHouse): Promise<void> {
  await clickhouse.command({
    query: `INSERT INTO agencies_v1 (agency_code, name, admin_level, parent_code, valid_from, valid_to, version)
      SELECT concat('AG', toString(number)), concat('Agency ', toString(number)),
        ['province', 'district', 'commune'][number % 3 + 1], NULL, toDate('2020-01-01'), NULL, 1
      FROM numbers({n:UInt32})`,
    query_params: { n: AGENCIES },
  });
  await clickhouse.command({
    query: `INSERT INTO procedures_v1 (procedure_code, name, field_code, agency_code, admin_levels, online_eligible,
        online_class, full_process_eligible, fee_bearing, online_payment, dvcqg_integrated,
        max_processing_working_days, valid_from, valid_to, version)
      SELECT concat('PR', toString(number)), concat('Procedure ', toString(number)),
        ['G13-TN02', 'G01-CA05', 'G17-XD08', 'G05-KD03', 'G09-LD02'][number % 5 + 1],
        concat('AG', toString(number % 30)), [['province'], ['district', 'commune']][number % 2 + 1],
        number % 10 != 0, ['none', 'partial', 'full'][number % 3 + 1], number % 2, number % 4 = 0, number % 8 = 0,
        number % 3 != 0, if(number % 7 = 0, NULL, 5 + number % 10), toDate('2020-01-01'), NULL, 1
      FROM numbers({n:UInt32})`,
    query_params: { n: PROCEDURES },
  });
}

/**
 * `count` dossiers numbered from `first`, received evenly over `spanSeconds` ending at `endAt`
 * (default: the five years 2021–2025): a `received` event each and, for 95%, a `resolved` event 1–12
 * days later if that moment has passed (due after 7–11 days, so some are late); every 20th had one
 * supplement round of 2 days.
 */
export async function insertDossiers(
  clickhouse: ClickHouse,
  options: { first: number; count: number; startAt?: string; spanSeconds?: number; prefix?: string },
): Promise<number> {
  const params = {
    first: options.first,
    count: options.count,
    start_at: options.startAt ?? '2021-01-01 00:00:00.000',
    span: options.spanSeconds ?? SPAN_SECONDS,
    prefix: options.prefix ?? 'B',
  };
  const source = `
    SELECT number AS n,
      concat({prefix:String}, '-', toString(n)) AS code,
      {start_at:DateTime64(3, 'UTC')} + toIntervalSecond(intDiv((n - {first:UInt64}) * {span:UInt64}, {count:UInt64})) AS received,
      received + toIntervalHour(24 * (1 + n % 12) + n % 7) AS finished,
      received + toIntervalDay(7 + n % 5) AS due,
      n % 20 = 0 AS with_supplement
    FROM numbers({first:UInt64}, {count:UInt64})`;
  const columns = `event_id, dialect, source, kind, dossier_code, agency_code, procedure_code, occurred_at, version,
    channel, submitted_at, received_at, due_at, finished_at, finish_kind, fee_vnd, paid_online,
    supplement_requested_at, supplement_received_at, components_digitized, result_digitized, rating_satisfied,
    source_topic, source_partition, source_offset`;
  await clickhouse.command({
    query: `INSERT INTO dossier_events_v1 (${columns})
      SELECT concat('r:', code), 'canonical', 'bench', 'received', code, concat('AG', toString(n % ${AGENCIES})),
        concat('PR', toString(intHash32(n) % ${PROCEDURES})), received, toUInt64(toUnixTimestamp64Milli(received)),
        if(n % 3 = 0, 'direct', 'online'), received, received, due, NULL, NULL,
        if(n % 4 = 0, toUInt64(50000), NULL), if(n % 8 = 0, toUInt8(1), NULL),
        if(with_supplement AND received + toIntervalDay(1) <= now64(3), [received + toIntervalDay(1)], []),
        if(with_supplement AND received + toIntervalDay(3) <= now64(3), [received + toIntervalDay(3)], []),
        toUInt8(n % 2), NULL, NULL, 'bench', 0, n
      FROM (${source})`,
    query_params: params,
  });
  await clickhouse.command({
    query: `INSERT INTO dossier_events_v1 (${columns})
      SELECT concat('f:', code), 'canonical', 'bench', 'resolved', code, concat('AG', toString(n % ${AGENCIES})),
        concat('PR', toString(intHash32(n) % ${PROCEDURES})), finished, toUInt64(toUnixTimestamp64Milli(finished)),
        NULL, NULL, NULL, NULL, finished, 'resolved', NULL, NULL, [], [], NULL, toUInt8(n % 3 = 0),
        if(n % 5 = 0, toUInt8(n % 10 != 0), NULL), 'bench', 0, n
      FROM (${source})
      -- 5% never finish; the others finish 1–12 days after receipt, once that moment has come (the ingestor
      -- refuses facts from the future): the latest dossiers are still open.
      WHERE n % 20 != 7 AND finished <= now64(3)`,
    query_params: params,
  });
  return options.count;
}
