import { formatHoChiMinh } from '@dossier/schemas';
import { type Agency, type AgencyCatalog, buildAgencies, CATALOG_START, REFORM_DATE } from './agencies.ts';
import type { SimMessage } from './dialects.ts';
import { buildProcedures, loadProcedureSources, type Procedure } from './procedures.ts';
import type { Rng } from './random.ts';

export interface Catalog {
  procedures: Procedure[];
  agencies: AgencyCatalog;
  /** The province-level department responsible for a procedure on a given date. */
  departmentOf(procedure: Procedure, date: string): Agency;
  /** The department's sub-unit that also handles the procedure, if one does (on that date). */
  subUnitOf(procedure: Procedure, date: string): Agency | undefined;
}

/** Status of a procedure's online service at one unit, as the national catalog lists it per unit. */
type ServiceStatus = 'published' | 'trial' | 'pending_withdrawal' | 'withdrawn' | 'none';

function hashOf(text: string): number {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

/** Most online services are published; a few are in trial or being withdrawn (stable per procedure and unit). */
function serviceStatus(p: Procedure, unit: string): ServiceStatus {
  if (p.onlineClass === 'none') return 'none';
  const h = hashOf(`${p.code}@${unit}`) % 100;
  return h < 4 ? 'trial' : h < 7 ? 'pending_withdrawal' : h < 9 ? 'withdrawn' : 'published';
}

/** Finance took over the procedures of Planning and Investment when the two merged. */
const SUCCESSORS: Record<string, string> = { 'H29.04': 'H29.14' };

export function buildCatalog(rng: Rng, csvPath?: string): Catalog {
  const procedures = buildProcedures(loadProcedureSources(csvPath), rng.fork('procedures'));
  const agencies = buildAgencies(rng.fork('agencies'));
  const departments = agencies.all.filter((a) => a.level === 'province' && a.parentCode === null);
  const byCode = new Map(departments.map((a) => [a.code, a]));
  const assigned = new Map<string, Agency>();
  for (const p of procedures) {
    // Stable per field, so one department owns a field the way a real department does.
    const department = departments[hashOf(p.fieldCode) % departments.length];
    if (department) assigned.set(p.code, department);
  }
  const subUnits = new Map<string, Agency>();
  for (const p of procedures) {
    const department = assigned.get(p.code);
    const children = department ? agencies.subUnitsOf(department.code, REFORM_DATE) : [];
    // About half the procedures of a department with sub-units are also applied at one of them.
    const h = hashOf(p.code);
    if (children.length > 0 && h % 2 === 0) subUnits.set(p.code, children[h % children.length] as Agency);
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
    subUnitOf(procedure, date) {
      const unit = subUnits.get(procedure.code);
      if (!unit || date < unit.validFrom || (unit.validTo !== null && date >= unit.validTo)) return undefined;
      return unit;
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
      time: formatHoChiMinh(time),
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
      paper_result_required: p.paperResultRequired,
      serves: p.serves,
    };
    if (p.level === 'province') {
      // Applied at the department and, for some procedures, at one of its sub-units too.
      const units = [catalog.departmentOf(p, REFORM_DATE), catalog.subUnitOf(p, REFORM_DATE)].filter(
        (u): u is Agency => u !== undefined,
      );
      out.push(
        upsert('procedure', p.code, CATALOG_START, time, {
          ...common,
          admin_levels: levels,
          applied_units: units.map((u) => ({
            agency_code: u.code,
            online_service: serviceStatus(p, u.code),
          })),
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
