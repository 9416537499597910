import { type Component, groupById, type Rounding } from './components.ts';
import type { Ratio } from './score.ts';

/**
 * The SQL twin of score.ts: ClickHouse expressions that give the same hundredths for the same counts
 * (a test compares both on random and boundary inputs). Arguments are SQL expressions of unsigned integer
 * counts; the constants spliced in come from components.ts, never from input.
 */

const BITS = (x: string) => `reinterpretAsUInt64(toFloat64(${x}))`;
const EXPONENT = (x: string) => `bitShiftRight(${BITS(x)}, 52)`;

/**
 * JavaScript's `x.toFixed(2)` as whole hundredths, for a Float64 `x` ≥ 0: the exact binary value
 * mantissa × 2^(exponent − 1075) is rounded with integer arithmetic, floor((200·m + 2^s) / 2^(s+1)) for
 * s = 1075 − exponent, ties to the larger. (ClickHouse's round() works on the double's decimal reading
 * and rounds ties to even.) Values below 2^−68 round to 0; from 2^52 on a double is a whole number.
 */
export function toFixedHundredthsSql(x: string): string {
  const e = EXPONENT(x);
  const mantissa = `toUInt256(bitOr(bitAnd(${BITS(x)}, 4503599627370495), 4503599627370496))`;
  // The shift is clamped so the branch never divides by 0 for rows the other branches answer.
  const s = `least(greatest(1075 - toInt32(${e}), 1), 120)`;
  return `toUInt64(multiIf(toFloat64(${x}) <= 0, toUInt256(0),
    ${e} >= 1075, toUInt256(toFloat64(${x})) * 100,
    ${e} < 955, toUInt256(0),
    intDiv(${mantissa} * 200 + bitShiftLeft(toUInt256(1), ${s}), bitShiftLeft(toUInt256(1), ${s} + 1))))`;
}

/** P × min(1, (n/d) / t) in hundredths on the exact ratio, ties up; `d` > 0. */
export function exactHundredthsSql(pointsMax: number, fullAt: Ratio, n: string, d: string): string {
  const num = `toUInt128(${n}) * ${fullAt.denominator}`;
  const den = `toUInt128(${d}) * ${fullAt.numerator}`;
  return `toUInt64(if(${num} >= ${den}, ${pointsMax * 100}, intDiv(${200 * pointsMax} * ${num} + ${den}, 2 * ${den})))`;
}

/** The online-payment rule (score.ts percentFirstHundredths) on Float64, as JavaScript computes it; `d` > 0. */
export function percentFirstHundredthsSql(pointsMax: number, fullAt: Ratio, n: string, d: string): string {
  const percent = `(toFloat64(${toFixedHundredthsSql(`toFloat64(${n}) / toFloat64(${d}) * 100`)}) / 100)`;
  if (fullAt.numerator === fullAt.denominator) {
    return toFixedHundredthsSql(`${pointsMax} * ${percent} / 100`);
  }
  const factor = (pointsMax * fullAt.denominator) / fullAt.numerator;
  if (!Number.isFinite(factor)) throw new Error(`bad threshold for ${pointsMax} points`);
  return toFixedHundredthsSql(`least(${pointsMax}, ${factor} * ${percent} / 100)`);
}

/**
 * A component's score in hundredths as a Nullable(Int64) expression over the counts it is scored on: a zero
 * denominator gives 0, the full points or NULL by the component's rule.
 */
export function componentHundredthsSql(
  component: Component,
  n: string,
  d: string,
  rounding: Rounding = groupById(component.group).rounding,
): string {
  const zero =
    component.zeroDenominator === 'zero'
      ? '0'
      : component.zeroDenominator === 'full'
        ? `${component.points * 100}`
        : 'NULL';
  // The scored branch never sees 0: ClickHouse may evaluate both branches of if().
  const safe = `greatest(${d}, 1)`;
  const scored =
    rounding === 'exact'
      ? exactHundredthsSql(component.points, component.fullAt, n, safe)
      : percentFirstHundredthsSql(component.points, component.fullAt, n, safe);
  return `CAST(if((${d}) = 0, ${zero}, ${scored}) AS Nullable(Int64))`;
}
