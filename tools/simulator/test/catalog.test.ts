import { describe, expect, it } from 'vitest';
import { REFORM_DATE } from '../src/agencies.ts';
import { buildCatalog } from '../src/catalog.ts';
import { loadProcedureSources, parseCsv } from '../src/procedures.ts';
import { createRng } from '../src/random.ts';

describe('catalog', () => {
  it('reads all 180 procedures of the reference CSV, quoted names included', () => {
    const sources = loadProcedureSources();
    expect(sources).toHaveLength(180);
    expect(sources.every((s) => /^\d\.\d{6}$/.test(s.code))).toBe(true);
    expect(parseCsv('a,"b, ""c"""\n1,2\n')).toEqual([
      ['a', 'b, "c"'],
      ['1', '2'],
    ]);
  });

  it('gives local codes, contract-valid field codes and a mix of online classes', () => {
    const { procedures } = buildCatalog(createRng(1));
    expect(procedures.every((p) => p.code.endsWith('.000.00.00.H29'))).toBe(true);
    expect(procedures.every((p) => /^[A-Z0-9][A-Z0-9._-]*$/.test(p.fieldCode))).toBe(true);
    expect(new Set(procedures.map((p) => p.onlineClass))).toEqual(new Set(['none', 'partial', 'full']));
    expect(procedures.some((p) => p.feeBearing && p.feeVnd > 0 && p.onlinePayment)).toBe(true);
    expect(procedures.some((p) => p.feeBearing && !p.onlinePayment)).toBe(true);
  });

  it('gives some departments sub-units that also apply some of their procedures', () => {
    const catalog = buildCatalog(createRng(1));
    const subUnits = catalog.agencies.all.filter((a) => a.level === 'province' && a.parentCode !== null);
    expect(subUnits.length).toBeGreaterThanOrEqual(5);
    const handled = catalog.procedures.filter((p) => catalog.subUnitOf(p, '2025-09-01') !== undefined);
    expect(handled.length).toBeGreaterThan(3);
    for (const p of handled) {
      expect(catalog.subUnitOf(p, '2025-09-01')?.parentCode).toBe(catalog.departmentOf(p, '2025-09-01').code);
    }
    // Wards had their district as parent until the reform.
    const ward = catalog.agencies.activeOn('2025-06-30').commune[0];
    expect(ward?.parentCode).toMatch(/^H29\.7\d\d$/);
  });

  it('has districts before the 2025 reform and merged wards after it', () => {
    const { agencies } = buildCatalog(createRng(1));
    const before = agencies.activeOn('2025-06-30');
    const after = agencies.activeOn(REFORM_DATE);
    expect(before.district).toHaveLength(22);
    expect(before.commune).toHaveLength(312);
    expect(after.district).toHaveLength(0);
    expect(after.commune).toHaveLength(168);
    expect(after.province.length).toBe(agencies.activeOn('2025-02-01').province.length - 1);
  });
});
