// The two-replica layout (docker-compose.cluster.yml on top of docker-compose.yml) cannot run here (no
// Docker engine): docker-compose validates the merged file, and the cluster the migrator names, the
// servers' hostnames and replica macros and Keeper's address must agree with infra/clickhouse/cluster.
import { readFileSync } from 'node:fs';
import { MigratorConfig } from '@dossier/clickhouse';
import { loadConfig } from '@dossier/config';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/test-log.ts';
import { APP_CONFIGS, type ComposeService, environmentOf, resolvedCompose } from './compose-file.ts';

const FILES = ['docker-compose.yml', 'docker-compose.cluster.yml'];
const CLUSTER_XML = '/etc/clickhouse-server/config.d/cluster.xml';

const mountsClusterConfig = (s: ComposeService) =>
  (s.volumes ?? []).some((v) => (typeof v === 'string' ? v.includes(CLUSTER_XML) : v.target === CLUSTER_XML));

describe('docker-compose.cluster.yml (two ClickHouse replicas over Keeper)', () => {
  it('merges with docker-compose.yml into two servers of the cluster the migrator creates tables on', async () => {
    const compose = await resolvedCompose(undefined, FILES);
    const xml = readFileSync(`${REPO}/infra/clickhouse/cluster/cluster.xml`, 'utf8');
    const clusterName = /<remote_servers>\s*<([A-Za-z0-9_]+)>/.exec(xml)?.[1];
    const replicaHosts = [...xml.matchAll(/<replica>\s*<host>([^<]+)<\/host>/g)].map((m) => m[1]);

    const migrator = loadConfig(MigratorConfig, environmentOf(compose, 'migrator'));
    expect(migrator.CLICKHOUSE_CLUSTER).toBe(clusterName);

    const servers = Object.entries(compose.services).filter(([, s]) => mountsClusterConfig(s));
    expect(servers.map(([name]) => name).sort()).toEqual(['clickhouse', 'clickhouse-2']);
    for (const [name, server] of servers) {
      // Each server is a replica under its own name, and answers to the name the cluster lists.
      expect(server.hostname, name).toBe(name);
      expect(environmentOf(compose, name).CLICKHOUSE_REPLICA, name).toBe(name);
      expect(replicaHosts, name).toContain(name);
      expect(server.image, name).toBe(compose.services.clickhouse?.image);
    }
    expect(replicaHosts).toHaveLength(servers.length);

    const keeper = compose.services['clickhouse-keeper'];
    expect(keeper?.image?.split(':')[1]).toBe(compose.services.clickhouse?.image?.split(':')[1]);
    const keeperHost = /<zookeeper>\s*<node>\s*<host>([^<]+)<\/host>\s*<port>(\d+)</.exec(xml);
    expect(keeperHost?.[1]).toBe(keeper?.hostname);
    const keeperXml = readFileSync(`${REPO}/infra/clickhouse/cluster/keeper.xml`, 'utf8');
    expect(keeperXml).toContain(`<tcp_port>${keeperHost?.[2]}</tcp_port>`);
  });

  it("gives every app container an environment its service's config accepts, merged as well", async () => {
    const compose = await resolvedCompose(undefined, FILES);
    for (const [name, schemas] of Object.entries(APP_CONFIGS)) {
      const environment = environmentOf(compose, name);
      for (const schema of schemas) expect(() => loadConfig(schema, environment), name).not.toThrow();
    }
  });
});
