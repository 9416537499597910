// The container image as a directory on this machine (no Docker engine here): the Dockerfile's final stage
// read from the Dockerfile itself (WORKDIR, ENV, each COPY --from=build), the bundles built fresh by
// infra/docker/bundle.ts into its dist/, node_modules without what the image removes. Services then run as
// the compose file's `command` with this directory as their working directory, so a bundle that reads a
// file the image does not hold, or imports a package the image deletes, fails here as in the container.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../support/test-log.ts';

const run = promisify(execFile);

export interface DockerfileStage {
  workdir: string;
  env: Record<string, string>;
  /** `COPY --from=build <from> <to>`: paths in the build stage's and this stage's file systems. */
  copies: { from: string; to: string }[];
  /** Entries of node_modules the build stage deletes (`rm -rf node_modules/<name>`). */
  removedModules: string[];
}

/** The final stage of a Dockerfile, as far as the image's files and environment go. */
export function readFinalStage(text: string): DockerfileStage {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const finalFrom = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  const stage: DockerfileStage = { workdir: '/', env: {}, copies: [], removedModules: [] };
  for (const line of lines.slice(finalFrom + 1)) {
    const [instruction = '', ...args] = line.split(/\s+/);
    if (/^WORKDIR$/i.test(instruction)) stage.workdir = args[0] ?? '/';
    if (/^ENV$/i.test(instruction)) {
      for (const pair of args) {
        const eq = pair.indexOf('=');
        if (eq > 0) stage.env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
    if (/^COPY$/i.test(instruction) && args[0] === '--from=build' && args.length === 3) {
      stage.copies.push({ from: args[1] ?? '', to: args[2] ?? '' });
    }
  }
  for (const m of text.matchAll(/rm -rf((?:\s+node_modules\/[^\s&;\\]+)+)/g)) {
    stage.removedModules.push(
      ...(m[1] ?? '')
        .trim()
        .split(/\s+/)
        .map((p) => p.replace(/^node_modules\//, '')),
    );
  }
  return stage;
}

export interface ImageLayout {
  /** The directory standing for the image's WORKDIR: the services' working directory. */
  root: string;
  /** The image's ENV with its WORKDIR paths pointed at `root`. */
  env: Record<string, string>;
}

/** Lays the image out under `root` (an empty directory): bundles built now, the rest linked from the repository. */
export async function buildImageLayout(root: string): Promise<ImageLayout> {
  const stage = readFinalStage(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
  const inImage = (path: string) =>
    join(root, path.startsWith('/') ? path.slice(stage.workdir.length) : path);
  // The build stage's WORKDIR is the image's too (`COPY . .` there): its paths are the repository's.
  const inRepo = (path: string) => join(REPO, path.slice(stage.workdir.length));
  for (const { from, to } of stage.copies) {
    const target = inImage(to);
    await mkdir(dirname(target), { recursive: true });
    if (from === `${stage.workdir}/dist`) {
      await run(process.execPath, ['--import', 'tsx', 'infra/docker/bundle.ts', target], { cwd: REPO });
    } else if (from === `${stage.workdir}/node_modules`) {
      await linkModules(join(REPO, 'node_modules'), target, stage.removedModules);
    } else {
      await symlink(inRepo(from), target);
    }
  }
  const env = Object.fromEntries(
    Object.entries(stage.env).map(([k, v]) => [
      k,
      v.startsWith(`${stage.workdir}/`) ? join(root, v.slice(stage.workdir.length)) : v,
    ]),
  );
  return { root, env };
}

/**
 * node_modules as the image has it: every installed package but those the Dockerfile deletes. The
 * workspace links (@dossier/*) point at sources the image does not copy: bundles carry that code.
 */
async function linkModules(from: string, to: string, removed: readonly string[]): Promise<void> {
  await mkdir(to);
  for (const name of await readdir(from)) {
    if (removed.includes(name) || name === '@dossier') continue;
    await symlink(join(from, name), join(to, name));
  }
}
