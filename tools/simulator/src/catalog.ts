import { type Agency, type AgencyCatalog, buildAgencies, CATALOG_START, REFORM_DATE } from './agencies.ts';
import type { SimMessage } from './dialects.ts';
import { buildProcedures, loadProcedureSources, type Procedure } from './procedures.ts';
import type { Rng } from './random.ts';
import { rfc3339Local } from './time.ts';

export interface Catalog {
  procedures: Procedure[];
  agencies: AgencyCatalog;
  /** The province-level department responsible for a procedure on a given date. */
  departmentOf(procedure: Procedure, date: string): Agency;
}

/** Finance took over the procedures of Planning and Investment when the two merged. */
const SUCCESSORS: Record<string, string> = { 'H29.04': 'H29.14' };

export function buildCatalog(rng: Rng, csvPath?: string): Catalog {
  const procedures = buildProcedures(loadProcedureSources(csvPath), rng.fork('procedures'));
  const agencies = buildAgencies(rng.fork('agencies'));
  const departments = agencies.all.filter((a) => a.level === 'province');
  const byCode = new Map(departments.map((a) => [a.code, a]));
  const assigned = new Map<string, Agency>();
  for (const p of procedures) {
    // Stable per field, so one department owns a field the way a real department does.
    let h = 0;
    for (const c of p.fieldCode) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    const department = departments[h % departments.length];
    if (department) assigned.set(p.code, department);
  }
  return {
    procedures,
    agencies,
    departmentOf(procedure, date) {
      const department = assigned.get(procedure.code) ?? departments[0];
      if (!department) throw new Error('no departments in the catalog');
      if (department.validTo !== null && date >= department.validTo) {
        const successor = byCode.get(SUCCESSORS[department.code] ?? '');
        if (successor) return successor;
      }
      return department;
    },
  };
}

function upsert(
  type: 'procedure' | 'agency',
  code: string,
  validFrom: string,
  time: number,
  data: object,
): SimMessage {
  return {
    topic: 'catalog',
    key: code,
    at: time,
    value: JSON.stringify({
      specversion: '1.0',
      id: `sim:catalog:${type}:${code}:${validFrom}:${time}`,
      source: '/province/H29/tthc-catalog',
      type: `vn.catalog.${type}`,
      time: rfc3339Local(time),
      subject: code,
      datacontenttype: 'application/json',
      data,
    }),
  };
}

/**
 * Procedure and agency upserts with their validity history: commune-level procedures were also
 * handled by districts until the reform, and agencies carry the dates they existed.
 */
export function catalogMessages(catalog: Catalog, time: number): SimMessage[] {
  const out: SimMessage[] = [];
  for (const p of catalog.procedures) {
    const levels: ('province' | 'district' | 'commune')[] =
      p.level === 'province' ? ['province'] : p.level === 'commune' ? ['commune'] : ['province', 'commune'];
    const common = {
      code: p.code,
      name: p.name,
      field_code: p.fieldCode,
      agency_code: p.level === 'province' ? catalog.departmentOf(p, REFORM_DATE).code : null,
      online_eligible: p.onlineEligible,
      online_class: p.onlineClass,
      full_process_eligible: p.fullProcessEligible,
      fee_bearing: p.feeBearing,
      online_payment: p.onlinePayment,
      dvcqg_integrated: p.dvcqgIntegrated,
      max_processing_time: p.processingTime,
    };
    if (p.level === 'province') {
      out.push(
        upsert('procedure', p.code, CATALOG_START, time, {
          ...common,
          admin_levels: levels,
          valid_from: CATALOG_START,
        }),
      );
      continue;
    }
    out.push(
      upsert('procedure', p.code, CATALOG_START, time, {
        ...common,
        admin_levels: [...levels, 'district'],
        valid_from: CATALOG_START,
        valid_to: REFORM_DATE,
      }),
      upsert('procedure', p.code, REFORM_DATE, time, {
        ...common,
        admin_levels: levels,
        valid_from: REFORM_DATE,
      }),
    );
  }
  for (const a of catalog.agencies.all) {
    out.push(
      upsert('agency', a.code, a.validFrom, time, {
        code: a.code,
        name: a.name,
        admin_level: a.level,
        parent_code: a.parentCode,
        valid_from: a.validFrom,
        valid_to: a.validTo,
      }),
    );
  }
  return out;
}
