import { randomUUID } from 'node:crypto';

// Catalog upserts (`vn.catalog.agency` / `vn.catalog.procedure` CloudEvents) as the end-to-end tests send
// them to the catalog topic.

export interface CatalogUnit {
  code: string;
  level: string;
  parent: string | null;
}

/** One catalog upsert keyed by its subject; `time` defaults to now. */
export function catalogEvent(
  type: 'agency' | 'procedure',
  subject: string,
  data: Record<string, unknown>,
  time = new Date().toISOString(),
) {
  return {
    key: subject,
    value: JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: '/catalog/h29',
      type: `vn.catalog.${type}`,
      time,
      subject,
      data,
    }),
  };
}

/** An agency upsert per unit, named `Đơn vị <code>`, valid since 2020-01-01 and still valid. */
export function agencyEvents(units: readonly CatalogUnit[], time?: string) {
  return units.map((u) =>
    catalogEvent(
      'agency',
      u.code,
      {
        code: u.code,
        name: `Đơn vị ${u.code}`,
        admin_level: u.level,
        parent_code: u.parent,
        valid_from: '2020-01-01',
        valid_to: null,
      },
      time,
    ),
  );
}
