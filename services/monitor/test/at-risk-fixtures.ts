import type { ClickHouse } from '@dossier/clickhouse';
import { BUILD_AT_RISK_OPEN_SQL } from '@dossier/kpi';
import { formatUtc } from '@dossier/schemas';

// Open dossiers as the KPI cycle writes them to kpi_open_facts_v1 and the at-risk list's table, for the
// at-risk route and page tests: dossiers_at_risk_v1 judges them at now().

export const DAY = 86_400_000;

export function openFacts(
  now: number,
  code: string,
  agency: string,
  dueInMs: number | null,
  extra: Record<string, unknown> = {},
) {
  return {
    dossier_code: code,
    agency_code: agency,
    admin_level: 'province',
    field_code: 'F1',
    procedure_code: 'P1',
    channel: 'online',
    start_at: formatUtc(now - 20 * DAY),
    received_at: formatUtc(now - 20 * DAY),
    finished_at: null,
    finish_kind: '',
    due_at: dueInMs === null ? null : formatUtc(now + dueInMs),
    deadline_no_due: null,
    supplement_requested_at: [],
    supplement_received_at: [],
    sign: 1,
    ...extra,
  };
}

export async function seedAtRiskAgencies(
  clickhouse: ClickHouse,
  agencies: { agency_code: string; parent_code: string | null; admin_level: string; name?: string }[],
  version = 1,
): Promise<void> {
  await clickhouse.insert({
    table: 'agencies_v1',
    values: agencies.map((a) => ({
      name: a.agency_code,
      ...a,
      valid_from: '2020-01-01',
      valid_to: null,
      version,
    })),
    format: 'JSONEachRow',
  });
}

export async function seedOpenFacts(clickhouse: ClickHouse, rows: ReturnType<typeof openFacts>[]) {
  await clickhouse.insert({ table: 'kpi_open_facts_v1', values: rows, format: 'JSONEachRow' });
  // As a rebuild does: the list's table refilled from every open fact.
  await clickhouse.command({ query: 'TRUNCATE TABLE dossiers_at_risk_open_v2' });
  await clickhouse.command({ query: BUILD_AT_RISK_OPEN_SQL });
}
