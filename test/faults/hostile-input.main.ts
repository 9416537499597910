// `npm run faults:hostile-input -- [--profile short|long] [--seed S] [--messages N]`: the hostile-input
// fault scenario on its own, against KAFKA_BROKERS or a native broker it starts and stops.
import { parseArgs } from 'node:util';
import { startKafka } from '../support/start-kafka.ts';
import { PROFILES, type Profile, runHostileInput } from './hostile-input.scenario.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'long' },
    seed: { type: 'string', default: String(Date.now()) },
    messages: { type: 'string' },
  },
});
if (!(values.profile in PROFILES)) {
  console.error(`--profile: expected ${Object.keys(PROFILES).join(' or ')}`);
  process.exit(2);
}
const kafka = await startKafka();
try {
  const result = await runHostileInput({
    brokers: kafka.brokers,
    profile: values.profile as Profile,
    seed: values.seed,
    messages: values.messages === undefined ? undefined : Number(values.messages),
    log: (line) => console.log(line),
  });
  console.log(`\nscenario ${result.name} (seed ${result.seed}): ${result.ok ? 'ok' : 'FAILED'}`);
  for (const [name, value] of Object.entries(result.figures)) console.log(`  ${name.padEnd(36)} ${value}`);
  for (const problem of result.problems) console.log(`  problem: ${problem}`);
  process.exitCode = result.ok ? 0 : 1;
} finally {
  await kafka.stop();
}
