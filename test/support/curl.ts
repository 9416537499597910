import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** curl as an analyst would type it; returns status, headers and the raw body. */
export async function curl(args: string[]) {
  const { stdout } = await run('curl', ['-sS', '-H', 'Expect:', '-D', '-', '-o', '-', ...args], {
    encoding: 'buffer',
    maxBuffer: 1 << 24,
  });
  const text = stdout.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
  const headers = Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
  );
  return { status, headers, body: stdout.subarray(Buffer.byteLength(head, 'latin1') + 4) };
}
