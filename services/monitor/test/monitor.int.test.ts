import { getKpi } from '@dossier/kpi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_QUEUE, type FixtureMonitor, startFixtureMonitor } from './fixture-monitor.ts';
import { PERSONAL_PAYLOAD } from './fixtures.ts';

const QUEUE = FIXTURE_QUEUE;
let fixture: FixtureMonitor;
let base: string;
let ready = true;

const get = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    csp: res.headers.get('content-security-policy') ?? '',
    text: await res.text(),
  };
};
// biome-ignore lint/suspicious/noExplicitAny: responses are read loosely; the assertions check their shape
const getJson = async <T = any>(path: string): Promise<T> => {
  const res = await get(path);
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return JSON.parse(res.text) as T;
};

beforeAll(async () => {
  fixture = await startFixtureMonitor();
  fixture.health.addCheck('test', () => ({ ok: ready, detail: ready ? undefined : 'held back by the test' }));
  base = fixture.base;
});

afterAll(async () => {
  await fixture?.stop();
});

describe('KPI APIs over kpi_latest', () => {
  it('serves one card per KPI for the latest month of the city, newest computation, catalog order', async () => {
    const body = await getJson('/api/kpi/cards');
    const ids = body.cards.map((c: { kpi: string }) => c.kpi);
    expect(ids).toEqual([
      'national_portal_integration',
      'online_resolution_rate',
      'satisfaction_rate',
      'on_time_rate',
    ]);
    const online = body.cards.find((c: { kpi: string }) => c.kpi === 'online_resolution_rate');
    expect(online).toMatchObject({
      name: getKpi('online_resolution_rate')?.name.vi,
      periodStart: '2026-10-01',
      value: 0.825,
      valueText: '82,5%',
      numerator: 825,
      denominator: 1000,
      target: 0.8,
      targetText: '> 80%',
      status: 'met',
      phase: { phase: 2, years: '2026–2030' },
    });
    const byId = Object.fromEntries(body.cards.map((c: { kpi: string }) => [c.kpi, c]));
    expect(byId.national_portal_integration).toMatchObject({ status: 'not_met', targetText: '> 80%' });
    expect(byId.on_time_rate).toMatchObject({ status: 'no_target', targetText: null });
    expect(byId.satisfaction_rate).toMatchObject({ status: 'no_data', value: null, valueText: '—' });
    // The Decision 766 rows of kpi_latest (index766.progress among them) belong to the scorecard.
    expect(ids.filter((id: string) => id.startsWith('index766.'))).toEqual([]);
  });

  it('speaks English on ?lang=en and shows the phase-1 comparator on a 2025 period', async () => {
    const body = await getJson('/api/kpi/cards?lang=en&period_kind=year');
    const portal = body.cards.find((c: { kpi: string }) => c.kpi === 'national_portal_integration');
    expect(portal).toMatchObject({
      valueText: '80%',
      targetText: '≥ 80%',
      status: 'met',
      phase: { phase: 1, years: '2021–2025' },
    });
    expect(portal.name).not.toBe(portal.kpi);
  });

  it('filters cards by agency, administrative level and field', async () => {
    const agency = await getJson('/api/kpi/cards?scope_kind=agency&scope_code=H29.105');
    expect(agency.cards.map((c: { kpi: string; value: number }) => [c.kpi, c.value])).toEqual([
      ['online_resolution_rate', 0.81],
      ['on_time_rate', 0.95],
    ]);
    const level = await getJson('/api/kpi/cards?scope_kind=admin_level&scope_code=district');
    expect(level.cards.map((c: { value: number }) => c.value)).toEqual([0.64]);
    const field = await getJson('/api/kpi/cards?scope_kind=field&scope_code=G09-TP');
    expect(field.cards.map((c: { value: number }) => c.value)).toEqual([0.333]);
  });

  it('rejects an unknown scope kind instead of querying with it', async () => {
    const res = await get('/api/kpi/cards?scope_kind=everything');
    expect(res.status).toBe(400);
  });

  it('returns monthly trend series aligned on months', async () => {
    const body = await getJson('/api/kpi/trend');
    expect(body.from).toBe('2024-12-01');
    expect(body.months).toEqual(['2026-09-01', '2026-10-01']);
    const online = body.series.find((s: { kpi: string }) => s.kpi === 'online_resolution_rate');
    expect(online).toMatchObject({ values: [0.55, 0.825], targets: [0.8, 0.8] });
    const portal = body.series.find((s: { kpi: string }) => s.kpi === 'national_portal_integration');
    expect(portal.values).toEqual([null, 0.75]);
  });

  it('ranks agencies per KPI, best first, no value last, newest catalog names, level filter', async () => {
    const body = await getJson('/api/kpi/ranking');
    const online = body.tables.find((t: { kpi: string }) => t.kpi === 'online_resolution_rate');
    expect(
      online.rows.map((r: { agencyCode: string; agencyName: string; rank: number }) => [
        r.rank,
        r.agencyCode,
        r.agencyName,
      ]),
    ).toEqual([
      [1, 'H29.105', 'UBND Quận 1'],
      [2, 'H29.01', 'Sở Tư pháp'],
      [3, 'H29.105.26734', 'UBND Phường Bến Nghé'],
    ]);
    expect(online.rows[2]).toMatchObject({ value: null, status: 'no_data', adminLevel: 'commune' });
    const district = await getJson('/api/kpi/ranking?admin_level=district');
    const rows = district.tables.flatMap((t: { rows: { agencyCode: string }[] }) =>
      t.rows.map((r) => r.agencyCode),
    );
    expect(new Set(rows)).toEqual(new Set(['H29.105']));
  });

  it('offers the scopes that hold values as filter choices', async () => {
    const body = await getJson('/api/filters');
    expect(body.adminLevels).toEqual(['district']);
    expect(body.fields).toEqual(['G09-TP']);
    expect(body.agencies).toContainEqual({ code: 'H29.105', name: 'UBND Quận 1', adminLevel: 'district' });
    expect(body.agencies).toHaveLength(3);
  });
});

describe('Decision 766 scorecard API', () => {
  it('serves the current period by default: city first, units ranked by total, groups and components', async () => {
    const body = await getJson('/api/index766/scorecard');
    expect(body).toMatchObject({ periodKind: 'month', periodStart: '2026-11-01', current: '2026-11-01' });
    expect(body.periods).toContain('2026-11-01');
    expect(body.units.map((u: { scopeCode: string; rank: number | null }) => [u.scopeCode, u.rank])).toEqual([
      ['H29', null],
      ['H29.01', 1],
      ['H29.105', 2],
      ['H29.105.26734', null],
    ]);
    const [city, , q1, unscored] = body.units;
    expect(city.groups.map((g: { kpi: string }) => g.kpi)).toEqual([
      'index766.transparency',
      'index766.progress',
      'index766.online_service',
      'index766.online_payment',
      'index766.satisfaction',
      'index766.digitization',
    ]);
    expect(city.total.maxScore).toBe(100);
    // H29.105 has no external figures: those components are NULL, marked, with the reason.
    const external = q1.groups[0].components.find(
      (c: { kpi: string }) => c.kpi === 'index766.transparency.published_on_time',
    );
    expect(external).toMatchObject({
      noData: true,
      score: null,
      reason: 'no_external_figures',
      scoreText: '—',
    });
    expect(q1.total.maxScore).toBe(100 - 6 - 4 - 2 - 6 - 6 - 2);
    const progress = q1.groups[1].components[0];
    expect(progress).toMatchObject({ kpi: 'index766.progress', noData: false, code: '2' });
    expect(progress.numerator, JSON.stringify(progress)).toBeGreaterThan(0);
    expect(unscored.total).toMatchObject({ score: null, noData: true, reason: 'no_dossiers' });
  });

  it('speaks English and serves another period on request', async () => {
    const body = await getJson('/api/index766/scorecard?lang=en&period_kind=quarter&period_start=2026-10-01');
    expect(body.units.map((u: { scopeKind: string }) => u.scopeKind)).toEqual(['city']);
    expect(body.units[0].groups[0].name).toBe('Transparency');
    expect((await get('/api/index766/scorecard?period_kind=day')).status).toBe(400);
  });
});

describe('pipeline panel', () => {
  it('reports lag per partition, totals, dead letters without payload, aggregation age and queue state', async () => {
    const body = await getJson('/api/pipeline');
    expect(body.lag.partitions).toEqual([
      { topic: 'dossier.events.v1', partition: 0, lag: 7 },
      { topic: 'dossier.events.v1', partition: 1, lag: 42 },
    ]);
    expect(body.throughput).toMatchObject({ source: 'process', totals: { accepted: 120, rejected: 3 } });
    expect(body.deadLetters.reasons).toEqual([
      expect.objectContaining({ reasonCode: 'bad_date', recent: 2, total: 2 }),
      expect.objectContaining({ reasonCode: 'invalid_json', recent: 1, total: 1 }),
      expect.objectContaining({ reasonCode: 'schema', recent: 0, total: 1 }),
    ]);
    expect(body.deadLetters.latest[0]).toMatchObject({
      topic: 'dossier.dvcqg-sync.v1',
      partition: 2,
      offset: '12',
      reasonCode: 'invalid_json',
      bytes: Buffer.byteLength(PERSONAL_PAYLOAD),
      topicRecord: 'copy',
    });
    expect(body.deadLetters.latest[1]).toMatchObject({ offset: '11', topicRecord: 'reference' });
    expect(body.deadLetters.latest[1].topicNote).toMatch(/exceed the topic's limit/);
    const text = JSON.stringify(body);
    expect(text).not.toContain('Nguyễn Văn An');
    expect(text).not.toContain('079123456789');
    expect(text).not.toContain(Buffer.from(PERSONAL_PAYLOAD).toString('base64').slice(0, 20));
    expect(body.aggregation.lastComputedAt).toBe('2026-11-02 01:00:00.000');
    expect(body.aggregation.ageSeconds).toBeGreaterThan(0);
    expect(body.queues).toEqual([
      expect.objectContaining({
        name: QUEUE,
        paused: false,
        counts: expect.objectContaining({ waiting: 1, delayed: 1 }),
      }),
    ]);
  });

  it('dates the KPIs by the last committed run when no value moved since the newest one', async () => {
    // A cycle over unchanged input writes no value, only the watermark; the KPIs are still that fresh.
    await fixture.store.clickhouse.insert({
      table: 'kpi_watermarks_v1',
      values: [
        { name: 'ingested', watermark: '2026-11-02 05:00:00.000', updated_at: '2026-11-02 05:00:01.000' },
      ],
      format: 'JSONEachRow',
    });
    try {
      const body = await getJson('/api/pipeline');
      expect(body.aggregation.lastComputedAt).toBe('2026-11-02 05:00:01.000');
    } finally {
      await fixture.store.clickhouse.command({ query: 'TRUNCATE TABLE kpi_watermarks_v1' });
    }
  });
});

describe('ops routes, page and Bull Board', () => {
  it('serves health, readiness of the whole process and the shared registry with monitor metrics', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    ready = false;
    const notReady = await get('/readyz');
    ready = true;
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text).checks.test).toEqual({ ok: false, detail: 'held back by the test' });
    const metrics = await get('/metrics');
    expect(metrics.text).toContain('ingestor_messages_total{topic_kind="events",outcome="accepted"} 120');
    expect(metrics.text).toMatch(
      /monitor_http_requests_total\{route="\/api\/kpi\/cards",status_class="2xx"\} \d+/,
    );
    expect(metrics.text).toMatch(
      /monitor_http_requests_total\{route="\/api\/kpi\/cards",status_class="4xx"\} 1/,
    );
    expect(metrics.text).toMatch(/monitor_http_requests_total\{route="\/readyz",status_class="5xx"\} 1/);
    expect(metrics.text).toContain('monitor_analyst_queries_total{outcome="ok"} 0');
  });

  it('serves the page in Vietnamese by default and English on request, with its own Chart.js', async () => {
    const vi = await get('/');
    expect(vi.type).toContain('text/html');
    expect(vi.text).toContain('<html lang="vi">');
    expect(vi.csp).toContain("default-src 'self'");
    expect(vi.text).toContain('Chỉ tiêu chương trình');
    expect(vi.text).not.toContain('{{');
    const en = await get('/?lang=en');
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Programme KPIs');
    const chart = await get('/assets/vendor/chart.umd.min.js');
    expect(chart.status).toBe(200);
    expect(chart.text).toContain('Chart');
    expect(vi.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('mounts Bull Board under /queues with the aggregator queue', async () => {
    const page = await get('/queues');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.text).not.toContain('fonts.googleapis.com');
    expect(page.csp).toContain("font-src 'self'");
    const api = await getJson('/queues/api/queues');
    expect(api.queues.map((q: { name: string }) => q.name)).toEqual([QUEUE]);
  });
});
