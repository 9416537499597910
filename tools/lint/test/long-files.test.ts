import { describe, expect, it } from 'vitest';
import { lengthReason, lineCount, MAX_LINES, unexplainedLongFiles } from '../src/long-files.ts';

const body = (lines: number) => Array.from({ length: lines }, (_, i) => `const a${i} = ${i};`).join('\n');

describe('unexplainedLongFiles', () => {
  it('lists a source file over the limit that gives no reason, longest first', () => {
    const files: [string, string][] = [
      ['src/short.ts', body(MAX_LINES)],
      ['src/long.ts', body(MAX_LINES + 1)],
      ['src/longer.sql', body(MAX_LINES + 50)],
      ['docs/long.md', body(MAX_LINES * 2)],
    ];
    expect(unexplainedLongFiles(files)).toEqual([
      { path: 'src/longer.sql', lines: MAX_LINES + 50 },
      { path: 'src/long.ts', lines: MAX_LINES + 1 },
    ]);
  });

  it('accepts a long file whose top says why, in each comment style', () => {
    const reason = 'Long file: the table of every procedure code, one row a line';
    const files: [string, string][] = [
      ['a.ts', `// ${reason}\n${body(MAX_LINES)}`],
      ['b.css', `/* ${reason} */\n${body(MAX_LINES)}`],
      ['c.ts', `/**\n * ${reason}\n */\n${body(MAX_LINES)}`],
      ['d.sql', `-- ${reason}\n${body(MAX_LINES)}`],
      ['e.sh', `#!/bin/sh\n# ${reason}\n${body(MAX_LINES)}`],
    ];
    expect(unexplainedLongFiles(files)).toEqual([]);
  });

  it('does not take a placeholder, or a reason buried below the top, for a reason', () => {
    expect(lengthReason('// Long file: todo\n')).toBeUndefined();
    const buried = `${body(40)}\n// Long file: the table of every procedure code, one row a line\n${body(MAX_LINES)}`;
    expect(unexplainedLongFiles([['buried.ts', buried]])).toHaveLength(1);
  });
});

describe('lineCount', () => {
  it('counts lines with or without a final newline', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(2);
  });
});
