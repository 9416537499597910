import { loadMigrations } from '@dossier/clickhouse';
import type { FaultScenario } from '../scenario.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGKILL of npm start inside its migrations on a fresh data directory: after the k-th file of the
 * migrations is recorded (k at random, 0 being the migration runner's own table), a few milliseconds
 * later, so the kill lands in the next statement, between a statement and its record, or in the record.
 * Each iteration kills a fresh directory's first start (within the first half of the files) and then
 * its second, which resumes the migrations, the same way; the third start must complete, leave the schema (every table's definition,
 * every recorded migration) equal to the uninterrupted run's and then store and compute what it does.
 */
export const killMigrations: FaultScenario = {
  name: 'kill-migrations',
  description: 'SIGKILL of npm start while it migrates a fresh data directory, twice, then a restart',
  iterations: { short: 1, long: 4 },
  async run(context) {
    const files = (await loadMigrations()).map((m) => m.name);
    const problems: string[] = [];
    let faults = 0;
    let lost = 0;
    let doubleCounted = 0;
    let kpiValuesDiffering = 0;
    let dossiersSent = 0;
    let dossiersStored = 0;
    const killedAfter: string[] = [];
    for (let i = 0; i < context.iterations; i++) {
      const run = await context.newRun(`migrations-${i}`);
      let done = 0;
      for (let kill = 0; kill < 2; kill++) {
        // Debug level: the all-in-one logs each migration applied there.
        const allInOne = await run.start({ LOG_LEVEL: 'debug' });
        const from = allInOne.lines.length;
        // The first kill within the first half of the files, the second within what remains after it.
        const span = kill === 0 ? files.length / 2 : files.length - done - 1;
        const k = Math.floor(context.rng.uniform(0, Math.max(1, span)));
        if (k === 0) await allInOne.waitForLine((l) => l.msg === 'clickhouse memory budget', from);
        else {
          let seen = 0;
          await allInOne.waitForLine((l) => l.msg === 'migration applied' && ++seen === k, from);
        }
        await sleep(context.rng.uniform(0, 40));
        await allInOne.kill();
        faults += 1;
        const applied = allInOne.lines.filter((l) => l.msg === 'migration applied');
        if (allInOne.lines.some((l) => l.msg === 'migrations applied'))
          problems.push(`start ${kill + 1} of iteration ${i + 1} finished its migrations before the kill`);
        done += applied.length;
        const last = applied.at(-1)?.migration;
        killedAfter.push(typeof last === 'string' ? last.slice(0, 4) : 'none');
        context.log(
          `iteration ${i + 1}, kill ${kill + 1}: after ${typeof last === 'string' ? last : 'no migration'} (${done} of ${files.length} recorded)`,
        );
      }
      const last = await run.start();
      await last.waitForLine((l) => l.msg === 'all-in-one ready');
      await run.settle(last);
      const { kpiSamples, schemaDifferences, ...counts } = await context.compare(await run.judge());
      lost += counts.lost;
      doubleCounted += counts.doubleCounted;
      kpiValuesDiffering += counts.kpiValuesDiffering;
      dossiersSent = counts.dossiersSent;
      dossiersStored = counts.dossiersStored;
      problems.push(...schemaDifferences.map((s) => `schema ${s}`), ...kpiSamples.map((s) => `KPI ${s}`));
    }
    return {
      faultsInjected: faults,
      dossiersSent,
      dossiersStored,
      lost,
      doubleCounted,
      kpiValuesDiffering,
      details: { migrations: files.length, 'killed after migration': killedAfter.join(' ') },
      problems,
    };
  },
};
