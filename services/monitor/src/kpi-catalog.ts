import { getKpi, KPI_IDS, SCOPE_KINDS, type ScopeKind, targetFor } from '@dossier/kpi';
import type { KpiCatalogView } from './present.ts';

const isScopeKind = (kind: string): kind is ScopeKind => (SCOPE_KINDS as readonly string[]).includes(kind);

/** The dashboard's view of the KPI catalog (`@dossier/kpi`): names, order and the comparator of each target. */
export function defaultCatalog(): KpiCatalogView {
  return {
    order: KPI_IDS,
    name: (id, lang) => getKpi(id)?.name[lang] ?? null,
    comparator(id, periodStart, scope) {
      if (!isScopeKind(scope.kind)) return null;
      return targetFor(id, periodStart, { kind: scope.kind, code: scope.code })?.comparator ?? null;
    },
  };
}
