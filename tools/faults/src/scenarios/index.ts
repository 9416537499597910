import type { FaultScenario } from '../scenario.ts';
import { clickhouseRefuses } from './clickhouse-refuses.scenario.ts';
import { hostileInput } from './hostile-input.scenario.ts';
import { kafkaRestart } from './kafka-restart.scenario.ts';
import { killAllInOne } from './kill-all-in-one.scenario.ts';
import { killMigrations } from './kill-migrations.scenario.ts';
import { killReplay } from './kill-replay.scenario.ts';
import { redisRestart } from './redis-restart.scenario.ts';
import { twoAggregators } from './two-aggregators.scenario.ts';

/** Every scenario of `npm run faults`, in the order they run. Add a scenario module here. */
export const SCENARIOS: readonly FaultScenario[] = [
  killAllInOne,
  killMigrations,
  kafkaRestart,
  redisRestart,
  twoAggregators,
  clickhouseRefuses,
  killReplay,
  hostileInput,
];
