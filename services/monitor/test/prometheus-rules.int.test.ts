import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PROMTOOL = process.env.PROMTOOL_PATH || '/usr/bin/promtool';
const dir = fileURLToPath(new URL('../../../infra/prometheus/', import.meta.url));

// promtool comes with Debian's `prometheus` package; CI installs it. Without it the rules are still
// checked for exported metrics by exported-metrics.test.ts, but not evaluated.
describe.skipIf(!existsSync(PROMTOOL))('Prometheus config and alert rules (promtool)', () => {
  it('validates prometheus.yml and the rule file it loads', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'config', 'prometheus.yml'], { cwd: dir });
    expect(stdout).toContain('SUCCESS: 13 rules found');
  });

  it('fires each alert on a bad series and keeps quiet on a healthy one (alerts.test.yml)', async () => {
    const { stdout } = await run(PROMTOOL, ['test', 'rules', 'alerts.test.yml'], { cwd: dir });
    expect(stdout).toContain('SUCCESS');
  });
});
