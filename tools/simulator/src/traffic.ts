import type { Agency } from './agencies.ts';
import { buildCatalog, type Catalog } from './catalog.ts';
import { canonicalMessages, dvcqgMessages, type SimMessage } from './dialects.ts';
import { applyFaults, type FaultCounts, type FaultShares } from './faults.ts';
import { DEFAULT_MIX, type Dossier, type Mix, planDossier } from './lifecycle.ts';
import type { Procedure } from './procedures.ts';
import { createRng, hashString, type Rng } from './random.ts';
import { localDate, localYyMMdd } from './time.ts';

export interface TrafficOptions {
  seed: number | string;
  /** Share of agencies whose systems send DVCQG sync records instead of canonical events. */
  dvcqgShare: number;
  faults: FaultShares;
  mix?: Mix;
  /** First dossier sequence number; live runs start past earlier runs so codes never collide. */
  sequenceBase?: number;
}

export interface Traffic {
  catalog: Catalog;
  counts: FaultCounts & { dossiers: number };
  /** A new dossier filed at `filedAt`, with every step it will ever have. */
  dossier(filedAt: number): Dossier;
  /** The dossier's messages in its agency's dialect, steps after `until` left out, faults applied. */
  messages(dossier: Dossier, until: number): SimMessage[];
  usesDvcqg(agency: Agency): boolean;
}

const cumulative = new WeakMap<readonly { weight: number }[], number[]>();

function pickWeighted<T extends { weight: number }>(items: readonly T[], rng: Rng): T {
  let sums = cumulative.get(items);
  if (!sums) {
    let total = 0;
    sums = items.map((i) => {
      total += i.weight;
      return total;
    });
    cumulative.set(items, sums);
  }
  const r = rng.next() * (sums[sums.length - 1] ?? 0);
  let lo = 0;
  let hi = sums.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sums[mid] ?? 0) > r) hi = mid;
    else lo = mid + 1;
  }
  const item = items[lo];
  if (!item) throw new Error('pick from an empty list');
  return item;
}

export function createTraffic(options: TrafficOptions): Traffic {
  const rng = createRng(options.seed);
  const catalog = buildCatalog(rng.fork('catalog'));
  const planRng = rng.fork('plans');
  const faultRng = rng.fork('faults');
  const sequences = new Map<string, number>();
  const counts = { dossiers: 0, duplicates: 0, outOfOrder: 0, malformed: 0 };
  const seedText = String(options.seed);
  const dvcqgAgencies = new Map<string, boolean>();
  const usesDvcqg = (agency: Agency): boolean => {
    let uses = dvcqgAgencies.get(agency.code);
    if (uses === undefined) {
      uses = hashString(`${seedText}:${agency.code}`) / 4_294_967_296 < options.dvcqgShare;
      dvcqgAgencies.set(agency.code, uses);
    }
    return uses;
  };

  const agencyFor = (p: Procedure, date: string): Agency => {
    const active = catalog.agencies.activeOn(date);
    const local = p.level === 'commune' || (p.level === 'province+commune' && planRng.chance(0.6));
    if (!local) {
      // A sub-unit applying the procedure handles most of its dossiers (land registration, food safety …).
      const sub = catalog.subUnitOf(p, date);
      return sub && planRng.chance(0.6) ? sub : catalog.departmentOf(p, date);
    }
    // Before the reform districts handled a share of the commune-level procedures.
    if (active.district.length > 0 && planRng.chance(0.35)) return pickWeighted(active.district, planRng);
    return pickWeighted(active.commune, planRng);
  };

  return {
    catalog,
    counts,
    usesDvcqg,
    dossier(filedAt) {
      const procedure = pickWeighted(catalog.procedures, planRng);
      const agency = agencyFor(procedure, localDate(filedAt));
      const day = `${agency.code}-${localYyMMdd(filedAt)}`;
      const seq = (sequences.get(day) ?? options.sequenceBase ?? 0) + 1;
      sequences.set(day, seq);
      counts.dossiers++;
      return planDossier({
        code: `${day}-${String(seq).padStart(4, '0')}`,
        agency,
        procedure,
        filedAt,
        rng: planRng,
        mix: options.mix ?? DEFAULT_MIX,
      });
    },
    messages(dossier, until) {
      const known = dossier.steps.findIndex((s) => s.at > until);
      const cut = known < 0 ? dossier : { ...dossier, steps: dossier.steps.slice(0, known) };
      const messages = usesDvcqg(dossier.agency) ? dvcqgMessages(cut) : canonicalMessages(cut);
      return applyFaults(messages, options.faults, faultRng, counts);
    },
  };
}
