// `npm run faults -- [--profile short|long] [--seed S] [--scenario name,name] [--iterations N]`: the fault suite (README.md).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SCENARIOS } from './scenarios/index.ts';
import { passed, runSuite } from './suite.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'long' },
    seed: { type: 'string' },
    scenario: { type: 'string' },
    only: { type: 'string' },
    iterations: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    `Usage: npm run faults -- [--profile short|long] [--seed S] [--scenario ${SCENARIOS.map((s) => s.name).join(',')}] [--iterations N]`,
  );
  process.exit(0);
}
const profile = values.profile;
if (profile !== 'short' && profile !== 'long') {
  console.error(`--profile must be short or long, not ${profile}`);
  process.exit(2);
}
// --only is the older name of --scenario.
const only = (values.scenario ?? values.only)?.split(',').map((s) => s.trim());
const unknown = (only ?? []).filter((name) => !SCENARIOS.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}
const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
if (iterations !== undefined && !(Number.isInteger(iterations) && iterations > 0)) {
  console.error(`--iterations must be a positive integer, not ${values.iterations}`);
  process.exit(2);
}
const outcomes = await runSuite({
  iterations,
  profile,
  seed: values.seed ?? randomBytes(4).toString('hex'),
  scenarios: only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS,
});
const failed = outcomes.filter((o) => !passed(o));
console.log(
  failed.length === 0
    ? `${outcomes.length} passed, 0 failed`
    : `${outcomes.length - failed.length} passed, ${failed.length} failed`,
);
process.exit(failed.length === 0 ? 0 : 1);
