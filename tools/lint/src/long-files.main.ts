// `npm run lint` step: lists the tracked source files over MAX_LINES lines that give no `Long file:` reason.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isSource, MAX_LINES, unexplainedLongFiles } from './long-files.ts';

const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
})
  .split('\0')
  .filter((path) => path !== '' && isSource(path) && existsSync(path));

const found = unexplainedLongFiles(tracked.map((path) => [path, readFileSync(path, 'utf8')]));
if (found.length > 0) {
  console.error(`${found.length} source file(s) over ${MAX_LINES} lines without a reason:`);
  for (const { path, lines } of found) console.error(`  ${path}: ${lines} lines`);
  console.error(
    'Split each by concern, or, where the length is inherent (a data table, one scenario read top to bottom),',
  );
  console.error("say why near its top in a comment line starting with 'Long file:'.");
  process.exit(1);
}
console.log(`✔ no source file over ${MAX_LINES} lines without a reason (${tracked.length} files)`);
