// The distributed deployment as separate processes on this machine: each service's main (or, given an image
// layout, the compose file's own command on the image's bundle) with the compose file's environment, only
// addresses, ports and per-run names replaced. ClickHouse is the server at CLICKHOUSE_URL when one is given,
// else the writable HTTP stand-in over chDB (a test fixture).

import type { NodeProcess } from '../../tools/faults/src/pipeline.ts';
import { spawnNode, startNodeProcess } from '../../tools/faults/src/pipeline.ts';
import { freePorts } from '../support/free-port.ts';
import { environmentOf, resolvedCompose } from './compose-file.ts';
import type { ImageLayout } from './image.ts';

export const MAINS = {
  migrator: 'packages/clickhouse/src/migrate.main.ts',
  ingestor: 'services/ingestor/src/main.ts',
  aggregator: 'services/aggregator/src/main.ts',
  monitor: 'services/monitor/src/main.ts',
} as const;
export type Role = keyof typeof MAINS;

export interface TopologyOptions {
  brokers: string[];
  redisUrl: string;
  /** The ClickHouse every process talks to over HTTP (`http://host:port`). */
  clickhouseUrl: string;
  /** Per-run names: topics, consumer group, BullMQ prefix (what compose leaves at their defaults). */
  names: Record<string, string>;
  /** Run `node dist/<service>.js` in this image layout (test/deploy/image.ts) instead of main.ts with tsx. */
  image?: ImageLayout;
}

export interface ServiceProcess extends NodeProcess {
  role: Role;
  name: string;
  /** The ops (or monitor) port on 127.0.0.1. */
  port: number;
}

/** The variables of the machine that a container would not see, but a node process needs. */
function baseEnv(image: boolean): NodeJS.ProcessEnv {
  // A bundle runs as in its container: no NODE_OPTIONS of the test runner (which may load tsx).
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', ...(image ? [] : ['NODE_OPTIONS'])];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

/** compose's `http://user:pass@clickhouse:8123` pointed at this run's server, credentials and path kept. */
export function relocate(composeUrl: string, target: string): string {
  const from = new URL(composeUrl);
  const to = new URL(target);
  from.protocol = to.protocol;
  from.host = to.host;
  if (to.pathname !== '/') from.pathname = to.pathname;
  return from.toString().replace(/\/$/, '');
}

export async function createTopology(options: TopologyOptions) {
  const compose = await resolvedCompose();
  const processes: ServiceProcess[] = [];

  async function start(role: Role, name: string = role, extra: Record<string, string> = {}) {
    const [port] = (await freePorts(1)) as [number];
    const composeEnv = environmentOf(compose, role);
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(options.image !== undefined),
      ...options.image?.env,
      ...composeEnv,
      KAFKA_BROKERS: options.brokers.join(','),
      REDIS_URL: options.redisUrl,
      CLICKHOUSE_URL: relocate(composeEnv.CLICKHOUSE_URL ?? '', options.clickhouseUrl),
      ...(role === 'monitor'
        ? { MONITOR_PORT: String(port), MONITOR_HOST: '127.0.0.1' }
        : { OPS_PORT: String(port) }),
      ...options.names,
      ...extra,
    };
    const started = options.image
      ? startCommand(role, env, options.image)
      : startNodeProcess(MAINS[role], env);
    const service: ServiceProcess = Object.assign(started, { role, name, port });
    processes.push(service);
    return service;
  }

  /** The service's compose `command` (`node dist/<service>.js`) in the image layout. */
  function startCommand(role: Role, env: NodeJS.ProcessEnv, image: ImageLayout): NodeProcess {
    const [program, ...argv] = compose.services[role]?.command ?? [];
    if (program !== 'node') throw new Error(`compose runs ${role} as ${program}, not node`);
    return spawnNode(argv, env, image.root);
  }

  return {
    processes,
    start,
    /** Runs the migrator to its end; throws with its output unless it exits 0. */
    async migrate(): Promise<void> {
      const migrator = await start('migrator');
      const code = await migrator.exited;
      if (code !== 0) throw new Error(`migrator exited ${code}:\n${migrator.output().slice(-3000)}`);
    },
    running: () => processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null),
    /** Each process's output, for a failing test. */
    logs: () => processes.map((p) => `==== ${p.name}\n${p.output().slice(-4000)}`).join('\n'),
    /** SIGTERM to every running process, as `docker compose stop`; the exit codes by name. */
    async stopAll(): Promise<Record<string, number | null>> {
      const running = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      const codes = await Promise.all(running.map((p) => p.stop()));
      return Object.fromEntries(running.map((p, i) => [p.name, codes[i] ?? null]));
    },
    /** SIGKILL to every process still running (cleanup after a failure). */
    async killAll(): Promise<void> {
      await Promise.all(processes.map((p) => p.kill()));
    },
  };
}

export type Topology = Awaited<ReturnType<typeof createTopology>>;
