import { type Component, groupById, type Rounding } from './components.ts';

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
 * `x` enters once, as a lambda's argument: spliced into each of the rule's uses, a nested `x` (the
 * online-payment rule rounds a rounded percentage) made the index's statement tens of kilobytes to plan.
 */
export function toFixedHundredthsSql(x: string): string {
  const v = 'to_fixed_x';
  const e = EXPONENT(v);
  const mantissa = `toUInt256(bitOr(bitAnd(${BITS(v)}, 4503599627370495), 4503599627370496))`;
  // The shift is clamped so the branch never divides by 0 for rows the other branches answer.
  const s = `least(greatest(1075 - toInt32(${e}), 1), 120)`;
  return `arrayMap(${v} -> toUInt64(multiIf(${v} <= 0, toUInt256(0),
    ${e} >= 1075, toUInt256(${v}) * 100,
    ${e} < 955, toUInt256(0),
    intDiv(${mantissa} * 200 + bitShiftLeft(toUInt256(1), ${s}), bitShiftLeft(toUInt256(1), ${s} + 1)))),
    [toFloat64(${x})])[1]`;
}

/**
 * A component's rule as SQL arguments: constants from components.ts, or the parameters of a lambda that
 * applies one rule to every component (the index's statement, sql/index766-values.sql.ts).
 */
export interface RuleArgs {
  points: string;
  fullAtNumerator: string;
  fullAtDenominator: string;
  /** Hundredths a zero denominator scores (Int64); negative: NULL. */
  zero: string;
  /** 1: the exact ratio's score is rounded; 0: the percentage first (online payment). */
  exact: string;
}

export function ruleArgsOf(
  component: Component,
  rounding: Rounding = groupById(component.group).rounding,
): RuleArgs {
  const zero = { zero: 0, full: component.points * 100, null: -1 }[component.zeroDenominator];
  return {
    points: `${component.points}`,
    fullAtNumerator: `${component.fullAt.numerator}`,
    fullAtDenominator: `${component.fullAt.denominator}`,
    zero: `${zero}`,
    exact: rounding === 'exact' ? '1' : '0',
  };
}

/**
 * A rule's score in hundredths as a Nullable(Int64) expression over the counts it is scored on: a zero
 * denominator gives 0, the full points or NULL by the rule. Both roundings are written once (exact, and
 * percent first as JavaScript computes it, score.ts percentFirstHundredths).
 */
export function ruleHundredthsSql(rule: RuleArgs, n: string, d: string): string {
  const { points, fullAtNumerator: tn, fullAtDenominator: td } = rule;
  // The scored branches never see 0: ClickHouse may evaluate both branches of if().
  const safe = `greatest(${d}, 1)`;
  const num = `toUInt128(${n}) * ${td}`;
  const den = `toUInt128(${safe}) * ${tn}`;
  const exact = `toUInt64(if(${num} >= ${den}, ${points} * 100, intDiv(200 * ${points} * ${num} + ${den}, 2 * ${den})))`;
  const percent = `(toFloat64(${toFixedHundredthsSql(`toFloat64(${n}) / toFloat64(${safe}) * 100`)}) / 100)`;
  // Linear (t = 1): P × percent / 100; else min(P, P/t × percent / 100), P/t as one double as in score.ts.
  const scaled = `arrayMap(percent -> if(${tn} = ${td}, ${points} * percent / 100,
      least(${points}, toFloat64(${points} * ${td}) / ${tn} * percent / 100)), [${percent}])[1]`;
  const percentFirst = toFixedHundredthsSql(scaled);
  return `CAST(if((${d}) = 0, if(${rule.zero} < 0, NULL, ${rule.zero}), if(${rule.exact} = 1, ${exact}, ${percentFirst})) AS Nullable(Int64))`;
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
  return ruleHundredthsSql(ruleArgsOf(component, rounding), n, d);
}
