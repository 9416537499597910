import type { SimMessage } from './dialects.ts';
import type { Rng } from './random.ts';

export interface FaultShares {
  /** Share of messages sent twice (same key and value). */
  duplicate: number;
  /** Share of messages delivered after the dossier's next message. */
  outOfOrder: number;
  /** Share of messages followed by a broken copy (the original still arrives). */
  malformed: number;
}

export interface FaultCounts {
  duplicates: number;
  outOfOrder: number;
  malformed: number;
}

type Breaker = (value: Record<string, unknown>, topic: SimMessage['topic']) => string;

const BREAKERS: Breaker[] = [
  (v) => JSON.stringify(v).slice(0, 40),
  () => '',
  (v, topic) =>
    JSON.stringify(
      topic === 'dvcqg'
        ? { ...v, NgayNopHoSo: '20250230100000' }
        : { ...v, time: '2025-02-30T10:00:00+07:00' },
    ),
  (v, topic) =>
    JSON.stringify(topic === 'dvcqg' ? { ...v, TrangThaiHoSo: 11 } : { ...v, type: 'vn.dossier.archived' }),
  (v, topic) => {
    const copy = { ...v };
    delete copy[topic === 'dvcqg' ? 'MaTTHC' : 'subject'];
    return JSON.stringify(copy);
  },
  (v, topic) => JSON.stringify(topic === 'dvcqg' ? { ...v, KenhThucHien: 9 } : { ...v, specversion: '0.3' }),
  (v, topic) => {
    if (topic !== 'dvcqg') return JSON.stringify({ ...v, type: 'vn.dossier.digitized', data: {} });
    const { NgayKetThucXuLy: _, ...rest } = v;
    return JSON.stringify({ ...rest, TrangThaiHoSo: 9 });
  },
  (v, topic) =>
    JSON.stringify(
      topic === 'dvcqg'
        ? { ...v, DanhSachLePhi: [{ MaPhiLePhi: 'LP01', Gia: -50_000 }] }
        : { ...v, type: 'vn.dossier.paid', data: { paid_online: true, fees: [{ amount_vnd: -50_000 }] } },
    ),
];

/** Breaks a message the way faulty agency systems do: truncation, bad dates, unknown codes, … */
export function breakMessage(m: SimMessage, rng: Rng): SimMessage {
  const value = JSON.parse(m.value) as Record<string, unknown>;
  const breaker = rng.pick(BREAKERS);
  return { ...m, value: breaker(value, m.topic) };
}

/**
 * Applies the configured faults to one dossier's messages, in send order. A late message moves
 * past its successor in the list and in send time, so both live and backlog modes see it late,
 * and no message is ever sent before the fact it reports.
 */
export function applyFaults(
  messages: SimMessage[],
  shares: FaultShares,
  rng: Rng,
  counts: FaultCounts,
): SimMessage[] {
  const list = [...messages];
  if (shares.outOfOrder > 0) {
    for (let i = 0; i + 1 < list.length; i++) {
      const a = list[i];
      const b = list[i + 1];
      if (!a || !b || !rng.chance(shares.outOfOrder)) continue;
      list[i] = b;
      list[i + 1] = { ...a, at: Math.max(a.at, b.at) + 1 };
      counts.outOfOrder++;
      i++;
    }
  }
  const out: SimMessage[] = [];
  for (const m of list) {
    out.push(m);
    if (shares.duplicate > 0 && rng.chance(shares.duplicate)) {
      out.push({ ...m, at: m.at + 1 });
      counts.duplicates++;
    }
    if (shares.malformed > 0 && rng.chance(shares.malformed)) {
      out.push(breakMessage(m, rng));
      counts.malformed++;
    }
  }
  return out;
}
