// `npm run index766:load -- --source TEXT [--dry-run] [--wait SECONDS] FILE.csv`
import { LoadCliError, runLoadCli } from './load-cli.ts';

try {
  process.exitCode = await runLoadCli(process.argv.slice(2), process.env, (line) => console.log(line));
} catch (err) {
  if (!(err instanceof LoadCliError)) throw err;
  console.error(err.message);
  process.exitCode = 2;
}
