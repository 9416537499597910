// Issue #13: no personal data readable by analysts, from any table. Recognisable names, ID numbers,
// phone numbers and e-mail addresses are planted in valid and rejected DVCQG records and canonical
// events, sent through Kafka and the ingestor, and an operator's address and credential id in the audit
// trail; then, through the analysts' endpoint, every table and view it can read (system.* included) is
// read whole and searched, as text and base64-decoded. Every table of the database needs a decision
// below: read by analysts (and scanned) or denied (and refused by every path); a new one fails the test.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openEmbeddedEngine } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { formatUtc } from '@dossier/schemas';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMessage } from '../../services/ingestor/test/factories.ts';
import { createHarness, type Harness } from '../../services/ingestor/test/harness.ts';
import {
  AnalystsConfig,
  type AnalystsEndpoint,
  startAnalystsEndpoint,
} from '../../services/monitor/src/analysts/index.ts';
import { DENIED_TABLES } from '../../services/monitor/src/analysts/read-only-policy.ts';
import { REPO } from './run-command.ts';

const PERSONAL = {
  validDvcqg: {
    name: 'Phạm Thị Hồng Nhung',
    id: '079188123456',
    phone: '0912735846',
    email: 'nhung.pham@example.vn',
  },
  rejectedDvcqg: {
    name: 'Lê Quang Vinh',
    id: '001203998877',
    phone: '0986241753',
    email: 'vinh.le@example.vn',
  },
  validEvent: {
    name: 'Trương Mỹ Lan',
    id: '036177112233',
    phone: '0903817264',
    email: 'lan.truong@example.vn',
  },
  rejectedEvent: {
    name: 'Đỗ Minh Khôi',
    id: '044095445566',
    phone: '0977502318',
    email: 'khoi.do@example.vn',
  },
};
/** An operator's request in the audit trail: the client's address and the credential it used. */
const OPERATOR = { address: '203.0.113.77', credential: 'cred-ops-night-5521' };
/** Every planted value, also without diacritics and the names' rarest word alone. */
const NEEDLES = [
  ...Object.values(PERSONAL).flatMap((p) => {
    const plain = p.name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[đĐ]/g, 'D');
    return [p.name, plain, p.id, p.phone, p.email];
  }),
  OPERATOR.address,
  OPERATOR.credential,
];

/**
 * The decision for every table of the database: these are the analysts' to read; the denied ones are the
 * endpoint policy's DENIED_TABLES (and revoked from the distributed analyst user). A table that is in
 * neither list fails the scan until someone decides.
 */
const ANALYSTS_READ = new Set([
  'agencies_v1',
  'dead_letter_replays_v1',
  'dead_letters_v2',
  'dossier_events_v1',
  'dossier_state_mv_v1',
  'dossier_state_v1',
  'dossiers_at_risk_open_v2',
  'dossiers_at_risk_v1',
  'dossiers_v1',
  'index766_external_latest_v1',
  'index766_external_v1',
  'kpi_cells_v1',
  'kpi_current_mv_v1',
  'kpi_current_v1',
  'kpi_cycles_v1',
  'kpi_dossier_facts_v1',
  'kpi_index766_inputs_v1',
  'kpi_index766_scope_inputs_v1',
  'kpi_latest',
  'kpi_open_facts_v1',
  'kpi_rebuild_steps_v1',
  'kpi_run_dossiers_v1',
  'kpi_run_periods_v1',
  'kpi_scope_cells_v1',
  'kpi_scope_procedures_v1',
  'kpi_stage_cells_v1',
  'kpi_stage_facts_v1',
  'kpi_stage_values_v1',
  'kpi_touched_mv_v1',
  'kpi_touched_v1',
  'kpi_values_daily_mv_v1',
  'kpi_values_daily_v1',
  'kpi_values_v1',
  'kpi_watermarks_v1',
  'procedures_v1',
  'schema_migrations',
  // Viet Nam's public holidays and exchanged working days, with the announcements they come from.
  'working_calendar_latest_v1',
  'working_calendar_v1',
]);

function example(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${REPO}/docs/examples/${path}`, 'utf8')) as Record<string, unknown>;
}

function dvcqg(
  code: string,
  person: (typeof PERSONAL)['validDvcqg'],
  overrides: Record<string, unknown> = {},
) {
  return {
    ...example('dvcqg/status-02.json'),
    MaHoSo: code,
    ChuHoSo: person.name,
    SoGiayToChuHoSo: person.id,
    DinhDanhCHS: [{ LoaiDinhDanh: 1, SoDinhDanh: person.id }],
    SoDienThoaiChuHoSo: person.phone,
    EmailChuHoSo: person.email,
    DiaChiChuHoSo: `${person.name}, ${person.phone}`,
    ...overrides,
  };
}

function event(code: string, person: (typeof PERSONAL)['validEvent'], id: string) {
  const base = example('canonical/submitted.json');
  return {
    ...base,
    id,
    subject: code,
    data: {
      ...(base.data as Record<string, unknown>),
      applicant: {
        kind: 'citizen',
        id_number: person.id,
        name: person.name,
        phone: person.phone,
        email: person.email,
      },
    },
  };
}

describe('personal data through the analysts endpoint', () => {
  let h: Harness;
  let endpoint: AnalystsEndpoint;
  let base: string;
  let validCode = '';

  async function query(sql: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${base}/?default_format=TSVRaw`, { method: 'POST', body: sql });
    return { status: res.status, text: await res.text() };
  }

  beforeAll(async () => {
    h = await createHarness({ partitions: 1 });
    const suffix = String(Date.now()).slice(-6);
    validCode = `H29.105-250302-${suffix}`;
    const eventCode = `H29.105-250303-${suffix}`;
    const validEvent = event(eventCode, PERSONAL.validEvent, `pd-${suffix}`);
    await h.start();
    await h.produce(h.config.TOPIC_DVCQG, [
      { key: validCode, value: JSON.stringify(dvcqg(validCode, PERSONAL.validDvcqg)) },
      // Rejected: a date that does not exist, and a truncated record.
      {
        key: `H29.105-250302-9${suffix}`,
        value: JSON.stringify(
          dvcqg(`H29.105-250302-9${suffix}`, PERSONAL.rejectedDvcqg, { NgayNopHoSo: '20250230081500' }),
        ),
        headers: { 'x-applicant': PERSONAL.rejectedDvcqg.name },
      },
      {
        key: PERSONAL.rejectedDvcqg.id,
        value: JSON.stringify(dvcqg(`H29.105-250302-8${suffix}`, PERSONAL.rejectedDvcqg)).slice(0, 400),
      },
    ]);
    await h.produce(h.config.TOPIC_EVENTS, [
      toMessage(validEvent as never),
      {
        key: eventCode,
        value: JSON.stringify({
          ...event(eventCode, PERSONAL.rejectedEvent, `pd-bad-${suffix}`),
          time: 'yesterday',
        }),
      },
      { key: PERSONAL.rejectedEvent.email, value: `{"applicant": "${PERSONAL.rejectedEvent.name}", ` },
    ]);
    await h.waitCaughtUp();
    expect(await h.count('SELECT count() AS n FROM dossier_events_v1 FINAL')).toBe(2);
    expect(await h.count('SELECT count() AS n FROM dead_letters_v2 FINAL')).toBe(4);
    const now = formatUtc(Date.now());
    await h.clickhouse.insert({
      table: 'operator_actions_v1',
      format: 'JSONEachRow',
      values: [
        {
          action_id: randomUUID(),
          started_at: now,
          finished_at: now,
          action: 'dead-letters.replay',
          method: 'POST',
          route: '/api/dead-letters/replay',
          target: '{}',
          details: JSON.stringify({ from: OPERATOR.address }),
          credential_id: OPERATOR.credential,
          auth_method: 'bearer',
          remote_address: OPERATOR.address,
          status: 200,
          outcome: 'ok',
        },
      ],
    });
    // A letter from before dead letters were sealed (kept as clear base64 in dead_letters_v1).
    await h.clickhouse.insert({
      table: 'dead_letters_v1',
      format: 'JSONEachRow',
      values: [
        {
          source_topic: h.config.TOPIC_DVCQG,
          source_partition: 0,
          source_offset: 99,
          message_key_base64: null,
          value_base64: Buffer.from(
            JSON.stringify(dvcqg('H29.105-250302-7', PERSONAL.rejectedDvcqg)),
          ).toString('base64'),
          value_bytes: 10,
          headers_json: '[]',
          reason_code: 'bad_date',
          reason_text: 'NgayNopHoSo: not a date',
          message_timestamp: now,
        },
      ],
    });
    endpoint = await startAnalystsEndpoint({
      config: AnalystsConfig.parse({ ANALYSTS_PORT: '0', ANALYSTS_HOST: '127.0.0.1' }),
      engine: await openEmbeddedEngine(h.clickhouseUrl),
      logger: createLogger({ service: 'test', level: 'silent' }),
      registry: new Registry(),
    });
    base = `http://127.0.0.1:${endpoint.port}`;
  });
  afterAll(async () => {
    await endpoint?.stop();
    await h?.close();
  });

  it('finds no planted value in any readable table or column, as text or base64', {
    timeout: 900_000,
  }, async () => {
    // Generators that never end, and tables that describe the engine rather than hold data.
    const skipped = new Set([
      'numbers',
      'numbers_mt',
      'zeros',
      'zeros_mt',
      'primes',
      'generate_series',
      'stack_trace',
    ]);
    const listed = await query(
      `SELECT database, name FROM system.tables WHERE lower(database) != 'information_schema' ORDER BY database, name`,
    );
    expect(listed.status).toBe(200);
    const tables = listed.text
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string])
      .filter(([db, name]) => !(db === 'system' && skipped.has(name)));
    const found: string[] = [];
    const texts = new Map<string, string>();
    const unreadable: string[] = [];
    const scanned: string[] = [];
    const undecided: string[] = [];
    const denied: string[] = [];
    for (const [db, name] of tables) {
      if (db !== 'system') {
        if (DENIED_TABLES.includes(name)) {
          const res = await query(`SELECT * FROM \`${db}\`.\`${name}\``);
          expect(res.text, `${db}.${name}`).toMatch(/^Code: 497\. .*\(ACCESS_DENIED\)/);
          expect(res.status).toBe(403);
          denied.push(name);
          continue;
        }
        if (!ANALYSTS_READ.has(name)) undecided.push(`${db}.${name}`);
      }
      const began = Date.now();
      const res = await query(`SELECT * FROM \`${db}\`.\`${name}\` LIMIT 200000`).catch((err: Error) => ({
        status: 0,
        text: String(err.cause ?? err),
      }));
      if (res.status !== 200) {
        unreadable.push(`${db}.${name} (${res.status}: ${res.text.slice(0, 120)})`);
        continue;
      }
      if (Date.now() - began > 5_000) console.log(`slow read: ${db}.${name} ${Date.now() - began} ms`);
      scanned.push(`${db}.${name}`);
      texts.set(`${db}.${name}`, res.text);
      const decoded = [...res.text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)]
        .map((m) => Buffer.from(m[0], 'base64').toString('utf8'))
        .join('\n');
      for (const needle of NEEDLES)
        if (res.text.includes(needle) || decoded.includes(needle)) found.push(`${db}.${name}: ${needle}`);
    }
    expect(found).toEqual([]);
    expect(undecided).toEqual([]);
    expect(denied).toContain('operator_actions_v1');
    // The scan reached the data: the stored tables were read, and the scanner sees what is there.
    expect(scanned).toEqual(
      expect.arrayContaining([
        'default.dossier_events_v1',
        'default.dead_letters_v2',
        'default.dossiers_v1',
        'system.errors',
        'system.processes',
      ]),
    );
    // Positive control: the same reading finds a stored value that is not personal.
    expect(texts.get('default.dossier_events_v1')).toContain(validCode);
    expect(unreadable.filter((t) => t.startsWith('default.'))).toEqual([]);
    console.log(`scanned ${scanned.length} tables; unreadable: ${unreadable.join('; ') || 'none'}`);
  });

  it('refuses the denied tables by every path a read-only query has to them', async () => {
    // The rows are there (read directly, not through the endpoint): the refusals below hide real data.
    expect(
      await h.count('SELECT count() AS n FROM operator_actions_v1 WHERE remote_address = {a:String}', {
        a: OPERATOR.address,
      }),
    ).toBe(1);
    const paths = [
      'SELECT remote_address FROM operator_actions_v1',
      'select * from `default`.`operator_actions_v1` format JSON',
      "SELECT * FROM merge(currentDatabase(), '^operator_act')",
      "SELECT * FROM merge('^dead_letters_v')",
      'SELECT * FROM view(SELECT * FROM operator_actions_v1)',
      'SELECT (SELECT groupArray(remote_address) FROM operator_actions_v1) AS a',
      'SELECT 1 WHERE 1 IN (SELECT count() FROM operator_actions_v1 WHERE remote_address LIKE {p:String})',
      'WITH t AS (SELECT credential_id FROM operator_actions_v1) SELECT * FROM t',
      'EXPLAIN QUERY TREE SELECT (SELECT any(remote_address) FROM operator_actions_v1)',
      "EXPLAIN PLAN SELECT (SELECT any(value_base64) FROM merge('^dead_letters_v1'))",
      'SELECT * FROM mergeTreeIndex(currentDatabase(), operator_actions_v1)',
      'SHOW CREATE TABLE operator_actions_v1',
      'DESCRIBE (SELECT * FROM dead_letters_v1)',
    ];
    for (const sql of paths) {
      const res = await fetch(`${base}/?param_p=${encodeURIComponent('203.%')}`, {
        method: 'POST',
        body: sql,
      });
      const text = await res.text();
      expect(text, sql).toMatch(/^Code: 497\. .*\(ACCESS_DENIED\)/);
      for (const needle of NEEDLES) expect(text, sql).not.toContain(needle);
    }
    // Listing the tables stays open: a name in a string is data.
    const listed = await query("SELECT name FROM system.tables WHERE name = 'operator_actions_v1'");
    expect(listed.text.trim()).toBe('operator_actions_v1');
  });

  it('revokes the denied tables from the distributed analyst user too', () => {
    const script = readFileSync(`${REPO}/infra/clickhouse/initdb/10-analyst-user.sh`, 'utf8');
    const docs = readFileSync(`${REPO}/docs/analysts.md`, 'utf8');
    for (const table of DENIED_TABLES) {
      expect(script).toContain(`REVOKE SELECT ON default.${table} FROM analyst;`);
      expect(docs).toContain(`REVOKE SELECT ON default.${table} FROM analyst;`);
    }
  });

  it('replays a rejected record byte for byte, headers included', async () => {
    const letters = await h.openedDeadLetters();
    const dated = letters.find((l) => l.reason_code === 'bad_date');
    expect(dated?.value?.toString()).toContain(PERSONAL.rejectedDvcqg.name);
    expect(dated?.headers).toEqual([['x-applicant', Buffer.from(PERSONAL.rejectedDvcqg.name)]]);
  });
});
