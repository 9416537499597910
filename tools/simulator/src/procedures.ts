import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { foldCode, toWorkingDays } from '@dossier/schemas';
import { hashString, type Rng } from './random.ts';

/** One row of data/procedures.csv (180 real procedures from the national TTHC database). */
export interface ProcedureSource {
  code: string;
  name: string;
  fieldCode: string;
  fieldName: string;
  level: 'province' | 'commune' | 'province+commune';
  fullProcessEligible: boolean;
  onlineSubmission: boolean;
  processingDays: number | null;
  processingUnit: string;
  feeBearing: boolean;
  feeMinVnd: number | null;
}

export type OnlineClass = 'none' | 'partial' | 'full';

/** A procedure as this province offers it. */
export interface Procedure {
  /** Local code: national code + `.000.00.00.H29`. */
  code: string;
  name: string;
  fieldCode: string;
  level: ProcedureSource['level'];
  onlineEligible: boolean;
  onlineClass: OnlineClass;
  fullProcessEligible: boolean;
  feeBearing: boolean;
  feeVnd: number;
  onlinePayment: boolean;
  dvcqgIntegrated: boolean;
  /** Legal maximum as the source states it; null when the source gives none. */
  processingTime: { value: number; unit: ProcessingUnit } | null;
  /** Legal maximum in working days (15 when the source gives none, a common default). */
  maxWorkingDays: number;
  /** The result is a paper document (licence, certificate): an online dossier then needs an electronic result. */
  paperResultRequired: boolean;
  /** Whom it serves. */
  serves: ('citizen' | 'organization')[];
  /** Land, construction and investment have their own (lower) satisfaction target. */
  sensitiveField: boolean;
  /** Relative share of dossiers (a few procedures carry most of the volume). */
  weight: number;
}

export const PROCEDURES_CSV = fileURLToPath(new URL('../data/procedures.csv', import.meta.url));
export const LOCAL_SUFFIX = '.000.00.00.H29';

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

export function loadProcedureSources(path = PROCEDURES_CSV): ProcedureSource[] {
  const [header, ...records] = parseCsv(readFileSync(path, 'utf8'));
  if (!header) throw new Error(`${path} is empty`);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path} has no column ${name}`);
    return i;
  };
  const idx = {
    code: col('code'),
    name: col('name'),
    fieldCode: col('field_code'),
    fieldName: col('field_name'),
    level: col('level'),
    full: col('full_process_eligible'),
    online: col('online_submission'),
    days: col('processing_days'),
    unit: col('processing_unit'),
    fee: col('fee_bearing'),
    feeMin: col('fee_min_vnd'),
  };
  return records.map((r) => {
    const get = (i: number) => r[i] ?? '';
    const level = get(idx.level);
    if (level !== 'province' && level !== 'commune' && level !== 'province+commune') {
      throw new Error(`${path}: unknown level ${level} for ${get(idx.code)}`);
    }
    return {
      code: get(idx.code),
      name: get(idx.name),
      fieldCode: get(idx.fieldCode),
      fieldName: get(idx.fieldName),
      level,
      fullProcessEligible: get(idx.full) === 'true',
      onlineSubmission: get(idx.online) === 'true',
      processingDays: get(idx.days) === '' ? null : Number(get(idx.days)),
      processingUnit: get(idx.unit),
      feeBearing: get(idx.fee) === 'true',
      feeMinVnd: get(idx.feeMin) === '' ? null : Number(get(idx.feeMin)),
    };
  });
}

type ProcessingUnit = 'WORKING_DAY' | 'DAY' | 'HOUR' | 'MONTH';
const UNITS: readonly string[] = ['WORKING_DAY', 'DAY', 'HOUR', 'MONTH'];

export function processingTime(days: number | null, unit: string): Procedure['processingTime'] {
  if (days === null || !(days > 0) || !UNITS.includes(unit)) return null;
  return { value: days, unit: unit as ProcessingUnit };
}

/** Whole working days for appointment dates, using the contract's own unit factors. */
export function legalWorkingDays(time: Procedure['processingTime']): number {
  const days = toWorkingDays(time);
  return days === null ? 15 : Math.max(1, Math.min(90, Math.round(days)));
}

/**
 * The national database has field codes with 'Đ' and spaces (`G09-LĐ09`, `HHNH - 1`), which the
 * input contract's code pattern refuses; agency systems send them transliterated, and so do we.
 */
export function fieldCodeOf(raw: string): string {
  return foldCode(raw);
}

/** A stable draw in [0, 1) per label: attributes added later do not shift the seeded stream of the others. */
function unitInterval(label: string): number {
  return hashString(label) / 4_294_967_296;
}

function subjectsOf(code: string): Procedure['serves'] {
  const r = unitInterval(`${code}:serves`);
  return r < 0.6 ? ['citizen', 'organization'] : r < 0.85 ? ['citizen'] : ['organization'];
}

const SENSITIVE_FIELD = /đất đai|xây dựng|nhà ở|đầu tư|quy hoạch/i;

/**
 * The province's offer of each procedure. The shares are tuned so the catalog KPIs land near but
 * under their targets: ~95% of eligible procedures online (target 100%), ~88% of those on DVCQG.
 */
export function buildProcedures(sources: readonly ProcedureSource[], rng: Rng): Procedure[] {
  return sources.map((s) => {
    const onlineEligible = s.onlineSubmission || s.fullProcessEligible || rng.chance(0.6);
    const offered = onlineEligible && rng.chance(0.95);
    const onlineClass: OnlineClass = !offered
      ? 'none'
      : s.fullProcessEligible && rng.chance(0.85)
        ? 'full'
        : 'partial';
    const feeVnd = s.feeBearing ? (s.feeMinVnd ?? 200_000) : 0;
    return {
      code: `${s.code}${LOCAL_SUFFIX}`,
      name: s.name,
      fieldCode: fieldCodeOf(s.fieldCode),
      level: s.level,
      onlineEligible,
      onlineClass,
      fullProcessEligible: s.fullProcessEligible,
      feeBearing: s.feeBearing,
      feeVnd,
      onlinePayment: s.feeBearing && offered && rng.chance(0.85),
      dvcqgIntegrated: offered && rng.chance(0.88),
      processingTime: processingTime(s.processingDays, s.processingUnit),
      maxWorkingDays: legalWorkingDays(processingTime(s.processingDays, s.processingUnit)),
      paperResultRequired: unitInterval(`${s.code}:paper`) < 0.45,
      serves: subjectsOf(s.code),
      sensitiveField: SENSITIVE_FIELD.test(s.fieldName),
      // Heavy-tailed volume: civil status and land procedures dominate real counters.
      weight: 0.2 + rng.next() ** 3 * 10,
    };
  });
}
