// Issue #13: no personal data readable by analysts, from any table. Recognisable names, ID numbers,
// phone numbers and e-mail addresses are planted in valid and rejected DVCQG records and canonical
// events, sent through Kafka and the ingestor; then, through the analysts' endpoint, every table and
// view it can read (system.* included) is read whole and searched, as text and base64-decoded.
import { readFileSync } from 'node:fs';
import { openEmbeddedEngine } from '@dossier/clickhouse';
import { createLogger } from '@dossier/observability';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMessage } from '../../services/ingestor/test/factories.ts';
import { createHarness, type Harness } from '../../services/ingestor/test/harness.ts';
import {
  AnalystsConfig,
  type AnalystsEndpoint,
  startAnalystsEndpoint,
} from '../../services/monitor/src/analysts/index.ts';
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
/** Every planted value, also without diacritics and the names' rarest word alone. */
const NEEDLES = Object.values(PERSONAL).flatMap((p) => {
  const plain = p.name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'D');
  return [p.name, plain, p.id, p.phone, p.email];
});

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
    for (const [db, name] of tables) {
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

  it('replays a rejected record byte for byte, headers included', async () => {
    const letters = await h.openedDeadLetters();
    const dated = letters.find((l) => l.reason_code === 'bad_date');
    expect(dated?.value?.toString()).toContain(PERSONAL.rejectedDvcqg.name);
    expect(dated?.headers).toEqual([['x-applicant', Buffer.from(PERSONAL.rejectedDvcqg.name)]]);
  });
});
