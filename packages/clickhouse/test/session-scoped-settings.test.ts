import { describe, expect, it } from 'vitest';
import { scopeSettingsPerCall } from '../src/session-scoped-settings.ts';

type Connection = Parameters<typeof scopeSettingsPerCall>[0];

/** A session that runs one statement at a time, each until the test finishes it, like chDB. */
function fakeSession() {
  const started: string[] = [];
  const finish: Array<() => void> = [];
  const run = (query: string) =>
    new Promise<never>((resolve) => {
      started.push(query);
      finish.push(() => resolve({ query_id: query, response_headers: {}, http_status_code: 200 } as never));
    });
  const inner = {
    command: (params: { query: string; abort_signal?: AbortSignal }) => {
      if (params.abort_signal) throw new Error('the signal reached the session');
      return run(params.query);
    },
  } as unknown as Connection;
  return { inner, started, finish };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('an aborted call on a session that cannot interrupt a statement', () => {
  it('is rejected at once, while the next call still waits for the statement to end', async () => {
    const session = fakeSession();
    const wrapped = scopeSettingsPerCall(session.inner);
    const controller = new AbortController();
    const long = wrapped.command({ query: 'long', abort_signal: controller.signal } as never);
    const next = wrapped.command({ query: 'next' } as never);
    await tick();
    controller.abort();
    await expect(long).rejects.toMatchObject({ name: 'AbortError' });
    await tick();
    expect(session.started).toEqual(['long']);
    session.finish[0]?.();
    await tick();
    expect(session.started).toEqual(['long', 'next']);
    session.finish[1]?.();
    await expect(next).resolves.toMatchObject({ query_id: 'next' });
  });

  it('never runs when aborted before its turn', async () => {
    const session = fakeSession();
    const wrapped = scopeSettingsPerCall(session.inner);
    const controller = new AbortController();
    const first = wrapped.command({ query: 'first' } as never);
    const queued = wrapped.command({ query: 'queued', abort_signal: controller.signal } as never);
    controller.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    session.finish[0]?.();
    await first;
    await tick();
    expect(session.started).toEqual(['first']);
  });
});
