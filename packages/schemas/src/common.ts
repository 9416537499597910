import { z } from 'zod';
import {
  DVCQG_TIME_PATTERN,
  ISO_DATE_PATTERN,
  isDvcqgTime,
  isRfc3339,
  parseIsoDate,
  RFC3339_PATTERN,
} from './time.ts';

/**
 * Building blocks shared by the canonical, DVCQG and catalog schemas. Schemas validate and fold codes
 * but never reshape data, so `z.toJSONSchema` can publish them as they are.
 * A `params.rejection` on a check selects the rejection code used when that check fails.
 */

const PLAIN_CODE = /^[A-Za-z0-9._-]+$/;
const FOLDED_CODE = /^[A-Z0-9][A-Z0-9._-]*$/;
/** What senders may write (published); folding turns it into FOLDED_CODE. */
const CODE_INPUT_PATTERN = '^[\\p{L}\\p{N}\\s._-]+$';

/**
 * National codes are case-insensitive, and some carry Vietnamese letters or spaces (field codes
 * `G09-LĐ09`, `HHNH - 1`) that agency systems often transliterate. Folding (diacritics removed,
 * Đ → D, whitespace removed, upper-case) makes every spelling of one code join with the others.
 */
export function foldCode(text: string): string {
  if (PLAIN_CODE.test(text)) return text.toUpperCase();
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'D')
    .replace(/\s+/g, '')
    .toUpperCase();
}

function code(what: string, example: string) {
  return z
    .string()
    .overwrite(foldCode)
    .min(1, { error: `expected a non-empty ${what}, e.g. ${example}` })
    .max(64, { error: `expected a ${what} of at most 64 characters` })
    .regex(FOLDED_CODE, { error: `expected a ${what} of letters, digits, '.', '_' or '-', e.g. ${example}` })
    .meta({
      description: `${what}; case-insensitive, stored folded: upper-case, without diacritics (Đ → D) or spaces`,
      pattern: CODE_INPUT_PATTERN,
      examples: [example],
    });
}

export const AgencyCode = code('agency code', 'H29.105');
export const ProcedureCode = code('procedure code', '1.000494.000.00.00.H29');
export const FieldCode = code('field code', 'G01-CA11');

/** `<agency code>-<yyMMdd>-<sequence>`, the national dossier code (MaHoSo). */
export const DossierCode = z
  .string()
  .overwrite(foldCode)
  .max(80, { error: 'expected a dossier code of at most 80 characters' })
  .regex(/^[A-Z0-9][A-Z0-9._]*-\d{6}-\d{1,10}$/, {
    error: 'expected a dossier code <agency code>-<yyMMdd>-<sequence>, e.g. H29.105-250304-0001',
  })
  .meta({
    description: 'dossier code <agency code>-<yyMMdd>-<sequence>; case-insensitive, folded like other codes',
    pattern: '^\\s*[A-Za-z0-9][A-Za-z0-9._]*-\\d{6}-\\d{1,10}\\s*$',
    examples: ['H29.105-250304-0001'],
  });

export const Timestamp = z
  .string()
  .refine(isRfc3339, {
    error:
      'expected an existing RFC 3339 timestamp with offset, year 2000–2099, e.g. 2025-03-04T08:30:00+07:00',
    params: { rejection: 'bad_date' },
  })
  .meta({ format: 'date-time', pattern: RFC3339_PATTERN, examples: ['2025-03-04T08:30:00+07:00'] });

export const DvcqgTime = z
  .string()
  .refine(isDvcqgTime, {
    error: 'expected an existing yyyyMMddHHmmss time (Asia/Ho_Chi_Minh), year 2000–2099, e.g. 20250304083000',
    params: { rejection: 'bad_date' },
  })
  .meta({ pattern: DVCQG_TIME_PATTERN, examples: ['20250304083000'] });

export const IsoDateSchema = z
  .string()
  .refine((s) => parseIsoDate(s) !== null, {
    error: 'expected an existing calendar date YYYY-MM-DD, year 2000–2099',
    params: { rejection: 'bad_date' },
  })
  .meta({ format: 'date', pattern: ISO_DATE_PATTERN, examples: ['2025-07-01'] });

export const AmountVnd = z
  .number()
  .int({ error: 'expected a whole number of VND' })
  .refine((n) => n >= 0, { error: 'expected an amount ≥ 0 VND', params: { rejection: 'negative_fee' } })
  .meta({ minimum: 0, description: 'amount in VND' });

export const ChannelSchema = z
  .enum(['direct', 'online', 'postal'])
  .meta({ description: 'direct (at the counter), online, or postal (public postal service)' });

/** Free text from integrators is accepted but dropped; documented so integrators know where it goes. */
export const Dropped = z.unknown().optional().meta({ description: 'accepted and dropped by the normalizer' });
