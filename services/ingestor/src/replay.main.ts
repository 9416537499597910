// `npm run replay-dead-letters -- [--since ISO] [--until ISO] [--reason CODE] [--topic T] [--dry-run]`
import { ConfigError } from '@dossier/config';
import { ReplayCliError, runReplayCli } from './replay-cli.ts';

try {
  await runReplayCli(
    process.argv.slice(2),
    process.env,
    (line) => console.log(line),
    (line) => console.error(line),
  );
} catch (err) {
  if (!(err instanceof ReplayCliError || err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exitCode = 2;
}
