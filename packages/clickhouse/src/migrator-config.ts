import { clickhouseUrl } from '@dossier/config';
import { z } from 'zod';
import { isClusterName } from './cluster-ddl.ts';

/** `CLICKHOUSE_CLUSTER`: a cluster of the servers' remote_servers; migrations then create replicated tables on it. */
export const clickhouseCluster = () =>
  z.string().refine(isClusterName, { message: 'expected a cluster name (letters, digits, _ . -)' });

/** Cross-field rule of every schema that has both: embedded chDB has no cluster. */
export function clusterNeedsServer(
  env: { CLICKHOUSE_URL?: string; CLICKHOUSE_CLUSTER?: string },
  ctx: z.RefinementCtx,
): void {
  if (env.CLICKHOUSE_CLUSTER !== undefined && !/^https?:\/\//.test(env.CLICKHOUSE_URL ?? '')) {
    ctx.addIssue({
      code: 'custom',
      path: ['CLICKHOUSE_CLUSTER'],
      message: 'needs CLICKHOUSE_URL=http(s)://… of a server in that cluster (embedded chDB has no cluster)',
    });
  }
}

/** The one-shot migrator (`npm run migrate`, the compose `migrator` job). */
export const MigratorConfig = z
  .object({
    CLICKHOUSE_URL: clickhouseUrl().default('chdb:./data/clickhouse'),
    CLICKHOUSE_CLUSTER: clickhouseCluster().optional(),
    MIGRATIONS_DIR: z.string().min(1).optional(),
  })
  .superRefine(clusterNeedsServer);
export type MigratorConfig = z.output<typeof MigratorConfig>;
