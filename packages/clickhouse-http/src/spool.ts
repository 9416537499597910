import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Holds a whole response until the query has ended (`wait_end_of_query=1`): in memory up to a
 * threshold, then in a temporary file, as ClickHouse's own cascade buffer does, so a large result
 * does not sit in the heap.
 */
export class Spool {
  private readonly memory: Buffer[] = [];
  private file: { dir: string; path: string; out: WriteStream } | undefined;
  size = 0;

  constructor(
    private readonly memoryLimit: number,
    private readonly dir = tmpdir(),
  ) {}

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    if (!this.file && this.size <= this.memoryLimit) {
      this.memory.push(chunk);
      return;
    }
    if (!this.file) {
      const dir = await mkdtemp(join(this.dir, 'ch-http-spool-'));
      const path = join(dir, 'body');
      const out = createWriteStream(path);
      this.file = { dir, path, out };
      for (const held of this.memory.splice(0)) if (!out.write(held)) await once(out, 'drain');
    }
    if (!this.file.out.write(chunk)) await once(this.file.out, 'drain');
  }

  /** The held bytes in order; call once, after the last write. */
  async *read(): AsyncGenerator<Buffer> {
    if (!this.file) {
      yield* this.memory;
      return;
    }
    this.file.out.end();
    await once(this.file.out, 'finish');
    for await (const chunk of createReadStream(this.file.path)) yield chunk as Buffer;
  }

  async discard(): Promise<void> {
    this.memory.length = 0;
    if (!this.file) return;
    this.file.out.destroy();
    await rm(this.file.dir, { recursive: true, force: true });
    this.file = undefined;
  }
}
