import type { NormalizeOptions, RawMessage } from '../src/index.ts';

export const TOPICS = {
  events: 'dossier.events.v1',
  dvcqg: 'dossier.dvcqg-sync.v1',
  catalog: 'dossier.catalog.v1',
};
export const NOW = new Date('2025-06-30T00:00:00Z');
export const OPTIONS: NormalizeOptions = { topics: TOPICS, now: NOW, applicantHashKey: 'test-key' };

let offset = 0;

export function message(topic: string, value: unknown, raw?: Buffer | null): RawMessage {
  offset += 1;
  const bytes = raw !== undefined ? raw : Buffer.from(JSON.stringify(value), 'utf8');
  return {
    topic,
    partition: 0,
    offset: String(offset),
    timestamp: String(NOW.getTime()),
    key: null,
    value: bytes,
    headers: {},
  };
}

export const DOSSIER = 'H29.105-250304-0001';
export const PROCEDURE = '1.000494.000.00.00.H29';

export function canonicalEvent(kind: string, time: string, data: Record<string, unknown> = {}, id?: string) {
  return {
    specversion: '1.0',
    id: id ?? `evt-${kind}-${time}`,
    source: '/agency/H29.105/mot-cua',
    type: `vn.dossier.${kind}`,
    time,
    subject: DOSSIER,
    datacontenttype: 'application/json',
    data,
  };
}

/** A plausible DVCQG snapshot; overrides replace top-level fields (undefined removes one). */
export function dvcqgRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    MaHoSo: DOSSIER,
    MaTTHC: PROCEDURE,
    TenTTHC: 'Cấp giấy phép xây dựng',
    MaLinhVuc: 'G09-XD01',
    KenhThucHien: 2,
    TrangThaiHoSo: 2,
    NgayNopHoSo: '20250304083000',
    NgayTiepNhan: '20250304090000',
    NgayHenTra: '20250318170000',
    LoaiDoiTuong: 1,
    ChuHoSo: 'Nguyễn Văn A',
    SoGiayToChuHoSo: '079123456789',
    SoDienThoaiChuHoSo: '0901234567',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}
