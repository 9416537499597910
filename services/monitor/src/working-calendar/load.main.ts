// `npm run calendar:load -- [--dry-run] FILE.csv`
import { CalendarCliError, runCalendarLoadCli } from './load-cli.ts';

try {
  process.exitCode = await runCalendarLoadCli(process.argv.slice(2), process.env, (line) =>
    console.log(line),
  );
} catch (err) {
  if (!(err instanceof CalendarCliError)) throw err;
  console.error(err.message);
  process.exitCode = 2;
}
