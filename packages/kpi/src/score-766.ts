/** Decision 766 scoring (published rules of the national portal); a zero denominator gives NULL, not 0. */

/** Progress group: 20 points × on-time ratio. */
export function progressScore(onTimeRatio: number | null): number | null {
  return onTimeRatio === null ? null : 20 * onTimeRatio;
}

export interface OnlinePaymentInputs {
  /** Dossiers paid online / dossiers of fee-bearing procedures with a non-zero fee. */
  paidOnline: { numerator: number; denominator: number };
  /** Fee-bearing procedures whose dossiers carried fee data / fee-bearing procedures. */
  withFeeData: { numerator: number; denominator: number };
  /** Fee-bearing procedures with at least one successful online payment / fee-bearing procedures. */
  withOnlinePayment: { numerator: number; denominator: number };
}

/** Online payment group (10 points): 6·A + min(2, 2.5·B) + min(2, 2.5·C). */
export function onlinePaymentScore(inputs: OnlinePaymentInputs): number | null {
  const parts = [inputs.paidOnline, inputs.withFeeData, inputs.withOnlinePayment];
  if (parts.some((p) => p.denominator === 0)) return null;
  const [a, b, c] = parts.map((p) => p.numerator / p.denominator) as [number, number, number];
  return 6 * a + Math.min(2, 2.5 * b) + Math.min(2, 2.5 * c);
}

/** Generic ratio × points with full points at a threshold (digitization, online service, satisfaction parts). */
export function thresholdScore(value: number | null, points: { max: number; fullAt: number }): number | null {
  if (value === null) return null;
  return Math.min(points.max, (points.max * value) / points.fullAt);
}
