// Cluster mode renders each migration's one text for a ClickHouse cluster (one shard, replicas over
// ClickHouse Keeper): DDL runs ON CLUSTER and MergeTree-family engines become their Replicated twins.
// There is no second copy of any migration; tests check every rendered statement with the engine's parser.

/** Keeper path of a replicated table; {shard}, {replica} are each server's macros, the rest is unfolded at creation. */
export const REPLICA_PATH = '/clickhouse/tables/{shard}/{database}/{table}';
export const REPLICA_NAME = '{replica}';

/**
 * A retried insert must still be recognised hours later (a KPI generation finished after its run died):
 * non-replicated tables remember their last N blocks with no time limit, replicated ones only for
 * replicated_deduplication_window_seconds (one hour by default), so that limit is raised to a week.
 */
export const REPLICATED_DEDUPLICATION_SECONDS = 7 * 24 * 3600;

const CLUSTER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function isClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name);
}

export class ClusterDdlError extends Error {
  override name = 'ClusterDdlError';
}

/** The statement without its comments (`--…` and `/*…*\/`), string literals and quoted names untouched. */
export function stripComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== ch) j += sql[j] === '\\' ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      out += ' ';
    } else {
      out += ch;
      i += 1;
    }
  }
  return out.trim();
}

const NAME = '(?:`[^`]+`|"[^"]+"|[A-Za-z_][\\w.]*)';

/** Statement forms and where ON CLUSTER goes in each; anything else is refused rather than guessed. */
const FORMS: { pattern: RegExp; at: 'after-match' | 'end' | 'none' }[] = [
  {
    pattern: new RegExp(
      `^CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TABLE|VIEW|MATERIALIZED\\s+VIEW|DICTIONARY)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${NAME}`,
      'i',
    ),
    at: 'after-match',
  },
  { pattern: new RegExp(`^ALTER\\s+TABLE\\s+${NAME}`, 'i'), at: 'after-match' },
  {
    pattern: new RegExp(
      `^(?:DROP|TRUNCATE)\\s+(?:TABLE|VIEW|DICTIONARY)\\s+(?:IF\\s+EXISTS\\s+)?${NAME}`,
      'i',
    ),
    at: 'after-match',
  },
  { pattern: /^(?:RENAME\s+TABLE|EXCHANGE\s+TABLES)\s/i, at: 'end' },
  // Data statements run once, on the server the migrator talks to; replication carries the rows.
  { pattern: /^(?:INSERT\s+INTO|SELECT|WITH)\s/i, at: 'none' },
];

/**
 * The text of one migration statement for cluster `cluster`: ON CLUSTER on DDL, `…MergeTree` engines as
 * `Replicated…MergeTree(REPLICA_PATH, REPLICA_NAME, …their arguments)`, the non-replicated deduplication
 * window as its replicated equivalent. Comments are dropped. Throws on a statement form it does not know
 * or on a text that already names a cluster or a replicated engine (the text must stay single).
 */
export function renderForCluster(sql: string, cluster: string): string {
  if (!isClusterName(cluster)) throw new ClusterDdlError(`invalid cluster name: ${cluster}`);
  const text = stripComments(sql);
  if (/\bON\s+CLUSTER\b/i.test(text) || /\bENGINE\s*=\s*Replicated/i.test(text)) {
    throw new ClusterDdlError(
      'a migration must not name a cluster or a replicated engine: cluster mode adds them',
    );
  }
  const form = FORMS.find((f) => f.pattern.test(text));
  if (!form) {
    throw new ClusterDdlError(
      `cannot render for a cluster: ${text.slice(0, 60)}… (teach renderForCluster this statement form)`,
    );
  }
  const onCluster = ` ON CLUSTER \`${cluster}\``;
  let out = text;
  if (form.at === 'after-match') {
    const head = form.pattern.exec(text)![0];
    out = head + onCluster + text.slice(head.length);
  } else if (form.at === 'end') {
    out = text + onCluster;
  }
  return replicateSettings(replicateEngine(out));
}

function replicateEngine(sql: string): string {
  const engine = /\bENGINE\s*=\s*(\w*)MergeTree\b/gi;
  let out = '';
  let from = 0;
  for (let match = engine.exec(sql); match; match = engine.exec(sql)) {
    let end = match.index + match[0].length;
    let args = '';
    const open = /^\s*\(/.exec(sql.slice(end));
    if (open) {
      const close = closingParen(sql, end + open[0].length - 1);
      args = sql.slice(end + open[0].length, close).trim();
      end = close + 1;
    }
    const replicated = [`'${REPLICA_PATH}'`, `'${REPLICA_NAME}'`, ...(args ? [args] : [])].join(', ');
    out += `${sql.slice(from, match.index)}ENGINE = Replicated${match[1]}MergeTree(${replicated})`;
    from = end;
  }
  return out + sql.slice(from);
}

function closingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i += 1) {
    if (sql[i] === '(') depth += 1;
    else if (sql[i] === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new ClusterDdlError(`unbalanced parentheses in engine arguments: ${sql.slice(open, open + 60)}`);
}

function replicateSettings(sql: string): string {
  return sql.replace(
    /\bnon_replicated_deduplication_window\s*=\s*(\d+)/gi,
    (_all, n: string) =>
      `replicated_deduplication_window = ${n}, replicated_deduplication_window_seconds = ${REPLICATED_DEDUPLICATION_SECONDS}`,
  );
}
