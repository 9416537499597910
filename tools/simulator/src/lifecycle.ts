import type { Agency } from './agencies.ts';
import type { Procedure } from './procedures.ts';
import type { Rng } from './random.ts';
import { addWorkingDays, DAY_MS, HOUR_MS, nextWorkingTime } from './time.ts';

export type Channel = 'direct' | 'online' | 'postal';
export type PaymentChannel = 'dvcqg' | 'local_gateway' | 'offline';
export type StepKind =
  | 'submitted'
  | 'received'
  | 'rejected'
  | 'processing'
  | 'supplement_requested'
  | 'supplement_received'
  | 'payment_requested'
  | 'paid'
  | 'withdrawn'
  | 'stopped'
  | 'resolved'
  | 'result_returned'
  | 'digitized'
  | 'synced_to_national_portal'
  | 'rated';

/** One thing that happens to a dossier; `due` is the appointment date in force from this step on. */
export interface Step {
  kind: StepKind;
  at: number;
  due?: number;
  paidOnline?: boolean;
  paymentChannel?: PaymentChannel;
  componentsDigitized?: boolean;
  resultDigitized?: boolean;
  satisfied?: boolean;
  score?: number;
}

/** One submitted document (TaiLieuNop entry). */
export interface SubmittedDocument {
  attached: boolean;
  digitized: boolean;
  reused: boolean;
  fromNationalStore: boolean;
}

/** Whether the agency system synchronised the fee list: as charged, not at all, or as an exemption (all zero). */
export type FeeList = 'listed' | 'missing' | 'exempt';

export interface Applicant {
  kind: 'citizen' | 'organization';
  /** Synthetic: never a real person's number. */
  idNumber: string;
  name: string;
}

export interface Dossier {
  code: string;
  agency: Agency;
  procedure: Procedure;
  channel: Channel;
  applicant: Applicant;
  feeVnd: number;
  feeList: FeeList;
  documents: SubmittedDocument[];
  vneidVerified: boolean;
  populationDbUsed: boolean;
  /** Code of the result document (MaKetQua); null when the system does not send one. */
  resultCode: string | null;
  /** The electronic result is pushed to the applicant's data store. */
  resultToApplicantStore: boolean;
  /** Ordered by time. */
  steps: Step[];
}

/** Knobs of the mix; the defaults land KPIs near, but not all above, the programme targets. */
export interface Mix {
  /** Online submissions never received (abandoned drafts, duplicates the agency ignores). */
  neverReceivedShare: number;
  /** Not accepted at reception (status 3): never received. */
  rejectShare: number;
  lateShare: number;
  withdrawShare: number;
  stopShare: number;
  ratingShare: number;
}

export const DEFAULT_MIX: Mix = {
  neverReceivedShare: 0.025,
  rejectShare: 0.03,
  lateShare: 0.07,
  withdrawShare: 0.02,
  stopShare: 0.01,
  ratingShare: 0.3,
};

const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Võ', 'Đặng', 'Bùi'];
const GIVEN = [
  'Văn An',
  'Thị Bình',
  'Minh Châu',
  'Quốc Dũng',
  'Thị Hạnh',
  'Gia Huy',
  'Ngọc Lan',
  'Thanh Tùng',
];

/** Adoption grows every year, so monthly trends have a slope. */
function yearFactor(at: number): number {
  const year = new Date(at).getUTCFullYear();
  return Math.min(1.12, Math.max(0.65, 0.82 + 0.07 * (year - 2023)));
}

function chooseChannel(p: Procedure, at: number, rng: Rng): Channel {
  const base = p.onlineClass === 'full' ? 0.86 : p.onlineClass === 'partial' ? 0.66 : 0;
  if (rng.chance(Math.min(0.97, base * yearFactor(at)))) return 'online';
  return rng.chance(0.04) ? 'postal' : 'direct';
}

function applicant(rng: Rng): Applicant {
  if (rng.chance(0.15)) {
    return {
      kind: 'organization',
      idNumber: `03${rng.int(10_000_000, 99_999_999)}`,
      name: `Công ty TNHH Mô phỏng ${rng.int(1, 999)}`,
    };
  }
  const id = `079${rng.int(0, 3)}${String(rng.int(50, 99)).padStart(2, '0')}${String(rng.int(0, 999_999)).padStart(6, '0')}`;
  return { kind: 'citizen', idNumber: id, name: `${rng.pick(SURNAMES)} ${rng.pick(GIVEN)}` };
}

/**
 * The documents a dossier is filed with: online filings attach files, counter filings are partly
 * scanned; some documents reuse digitized data or come from the national document store.
 */
function documentsOf(channel: Channel, allDigitized: boolean, rng: Rng): SubmittedDocument[] {
  const online = channel === 'online';
  return Array.from({ length: rng.int(2, 5) }, () => ({
    attached: allDigitized || rng.chance(online ? 0.97 : 0.7),
    digitized: allDigitized || rng.chance(0.2),
    reused: online && rng.chance(0.12),
    fromNationalStore: online && rng.chance(0.08),
  }));
}

function feeListOf(p: Procedure, rng: Rng): FeeList {
  if (!p.feeBearing) return 'missing';
  const r = rng.next();
  // Some systems never synchronise the fee list; some dossiers are exempted (a list of zeros).
  return r < 0.07 ? 'missing' : r < 0.12 ? 'exempt' : 'listed';
}

function digitizationShare(level: Agency['level'], at: number): number {
  const base = level === 'province' ? 0.5 : level === 'district' ? 0.32 : 0.27;
  return Math.min(0.95, base * yearFactor(at));
}

/**
 * A dossier's whole life, from filing to rating, following the DVCQG status model: online filings
 * are registered then received; some are not accepted; supplements pause the clock and move the
 * appointment date (two or more make the dossier late by the national rule); fees are requested
 * and paid online or at the counter; most finish on time, some late; some are withdrawn or stopped.
 */
export function planDossier(input: {
  code: string;
  agency: Agency;
  procedure: Procedure;
  filedAt: number;
  rng: Rng;
  mix?: Mix;
}): Dossier {
  const { agency, procedure: p, rng } = input;
  const mix = input.mix ?? DEFAULT_MIX;
  const channel = chooseChannel(p, input.filedAt, rng);
  const steps: Step[] = [];
  const push = (step: Step) => steps.push(step);

  let t = input.filedAt;
  const received = channel === 'online' ? nextWorkingTime(t + rng.uniform(0.2, 20) * HOUR_MS) : t;
  const componentsDigitized = rng.chance(digitizationShare(agency.level, received));
  const person = applicant(rng);
  const citizen = person.kind === 'citizen';
  const dossier: Dossier = {
    code: input.code,
    agency,
    procedure: p,
    channel,
    applicant: person,
    feeVnd: p.feeVnd,
    feeList: feeListOf(p, rng),
    documents: documentsOf(channel, componentsDigitized, rng),
    vneidVerified: channel === 'online' && citizen && rng.chance(0.65),
    populationDbUsed: citizen && rng.chance(channel === 'online' ? 0.4 : 0.2),
    resultCode: rng.chance(0.92) ? `${rng.int(1, 9999)}/${p.paperResultRequired ? 'GP' : 'TB'}` : null,
    resultToApplicantStore: rng.chance(0.01),
    steps,
  };
  const done = (): Dossier => {
    steps.sort((a, b) => a.at - b.at);
    return dossier;
  };
  if (channel === 'online') {
    push({ kind: 'submitted', at: t });
    // Submitted online and never received: the agency never took it in (Decision 766 does not count it).
    if (rng.chance(mix.neverReceivedShare)) return done();
  }
  if (rng.chance(mix.rejectShare)) {
    // Not accepted at reception: refused at the counter or after checking the online filing, never received.
    if (channel !== 'online') push({ kind: 'submitted', at: t });
    push({ kind: 'rejected', at: received + rng.uniform(0.1, 4) * HOUR_MS });
    return done();
  }
  let due = addWorkingDays(received, p.maxWorkingDays);
  push({ kind: 'received', at: received, due, componentsDigitized });
  t = received;

  if (componentsDigitized)
    push({ kind: 'digitized', at: t + rng.uniform(0.05, 2) * HOUR_MS, componentsDigitized: true });
  if (p.dvcqgIntegrated && rng.chance(0.96))
    push({ kind: 'synced_to_national_portal', at: t + rng.uniform(0.02, 1) * HOUR_MS });
  t += rng.uniform(0.1, 4) * HOUR_MS;
  push({ kind: 'processing', at: t, due });

  const allowed = due - received;
  const r = rng.next();
  const supplements = r < 0.03 ? 2 : r < 0.15 ? 1 : 0;
  // A fifth of the single supplements are requested once the appointment has passed: the re-issued one
  // lies after the receipt, but a period that ended in between judges the dossier by the one it missed.
  const lateRequest = r >= 0.126;
  let waited = 0;
  for (let i = 0; i < supplements; i++) {
    const gap = rng.uniform(0.1, 0.4) * allowed;
    t = (lateRequest ? Math.max(t, due) : t) + gap;
    push({ kind: 'supplement_requested', at: t });
    if (rng.chance(0.06)) {
      push({ kind: rng.chance(0.7) ? 'withdrawn' : 'stopped', at: t + rng.uniform(10, 30) * DAY_MS });
      return done();
    }
    const wait = rng.uniform(1, 10) * DAY_MS;
    t += wait;
    waited += wait;
    due = lateRequest ? t + 0.5 * allowed : due + wait;
    push({ kind: 'supplement_received', at: t, due });
    push({ kind: 'processing', at: t + rng.uniform(0.1, 2) * HOUR_MS, due });
  }

  const ending = rng.next();
  if (ending < mix.withdrawShare + mix.stopShare) {
    const kind = ending < mix.withdrawShare ? 'withdrawn' : 'stopped';
    push({ kind, at: t + rng.uniform(0.05, 0.6) * allowed });
    return done();
  }
  const late = supplements >= 2 || rng.chance(mix.lateShare);
  const finish = late
    ? due + rng.uniform(0.3, 10) * DAY_MS
    : Math.max(t + HOUR_MS, received + waited + rng.uniform(0.25, 0.98) * allowed);

  if (p.feeBearing && dossier.feeVnd > 0 && dossier.feeList !== 'exempt') {
    const requested = t + rng.uniform(0.05, 0.3) * (finish - t);
    // A system that does not synchronise fee lists sends no payment request, only the payment.
    if (dossier.feeList === 'listed') push({ kind: 'payment_requested', at: requested });
    const online = p.onlinePayment && rng.chance(channel === 'online' ? 0.8 : 0.28);
    push({
      kind: 'paid',
      at: requested + rng.uniform(0.05, 0.5) * (finish - requested),
      paidOnline: online,
      paymentChannel: online ? (rng.chance(0.7) ? 'dvcqg' : 'local_gateway') : 'offline',
    });
  }
  const resultDigitized = rng.chance(0.78);
  push({ kind: 'resolved', at: finish, resultDigitized });
  if (resultDigitized)
    push({ kind: 'digitized', at: finish + rng.uniform(0.01, 1) * HOUR_MS, resultDigitized: true });
  const returned = finish + rng.uniform(0.1, 3) * DAY_MS;
  push({ kind: 'result_returned', at: returned, resultDigitized });
  if (rng.chance(mix.ratingShare)) {
    const satisfied = rng.chance(p.sensitiveField ? 0.91 : 0.955);
    push({
      kind: 'rated',
      at: returned + rng.uniform(0.1, 5) * DAY_MS,
      satisfied,
      score: satisfied ? rng.int(4, 5) : rng.int(1, 3),
    });
  }
  return done();
}
