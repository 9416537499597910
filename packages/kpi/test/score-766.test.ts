import { describe, expect, it } from 'vitest';
import { onlinePaymentScore, progressScore, thresholdScore } from '../src/index.ts';

const part = (numerator: number, denominator: number) => ({ numerator, denominator });

describe('Decision 766 scoring', () => {
  it('progress is 20 × the on-time ratio, NULL without dossiers', () => {
    expect(progressScore(1)).toBe(20);
    expect(progressScore(7 / 11)).toBeCloseTo(12.7273, 4);
    expect(progressScore(null)).toBeNull();
  });

  it('online payment is 6·A + min(2, 2.5·B) + min(2, 2.5·C)', () => {
    const score = onlinePaymentScore({
      paidOnline: part(2, 3),
      withFeeData: part(1, 2),
      withOnlinePayment: part(1, 2),
    });
    expect(score).toBeCloseTo(6.5, 10);
  });

  it('caps B and C at 2 points each from 80% up', () => {
    const full = onlinePaymentScore({
      paidOnline: part(1, 1),
      withFeeData: part(4, 5),
      withOnlinePayment: part(9, 10),
    });
    expect(full).toBe(10);
    const low = onlinePaymentScore({
      paidOnline: part(0, 4),
      withFeeData: part(1, 5),
      withOnlinePayment: part(0, 5),
    });
    expect(low).toBeCloseTo(0.5, 10);
  });

  it('is NULL, not 0, when any denominator is 0', () => {
    expect(
      onlinePaymentScore({ paidOnline: part(0, 0), withFeeData: part(1, 1), withOnlinePayment: part(1, 1) }),
    ).toBeNull();
    expect(
      onlinePaymentScore({ paidOnline: part(1, 1), withFeeData: part(0, 0), withOnlinePayment: part(1, 1) }),
    ).toBeNull();
  });

  it('threshold scores reach full points at the threshold', () => {
    expect(thresholdScore(0.45, { max: 10, fullAt: 0.9 })).toBeCloseTo(5, 10);
    expect(thresholdScore(0.95, { max: 10, fullAt: 0.9 })).toBe(10);
    expect(thresholdScore(null, { max: 10, fullAt: 0.9 })).toBeNull();
  });
});
