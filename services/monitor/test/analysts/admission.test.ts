import { EndpointError } from '@dossier/clickhouse-http';
import { describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/analysts/read-only-backend.ts';

describe('analysts’ query slots', () => {
  const signal = () => new AbortController().signal;

  it('lets the limit in, queues the next in order and refuses one that waited too long with 202', async () => {
    const admission = createAdmission(2, 50);
    const first = await admission.enter(signal());
    const second = await admission.enter(signal());
    const order: string[] = [];
    const third = admission.enter(signal()).then((leave) => {
      order.push('third');
      return leave;
    });
    const late = createAdmission(1, 20);
    const holder = await late.enter(signal());
    const refused = await late.enter(signal()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(EndpointError);
    expect((refused as EndpointError).code).toBe(202);
    holder();
    first();
    first(); // leaving twice frees one slot only
    (await third)();
    expect(order).toEqual(['third']);
    second();
    expect(admission.running).toBe(0);
  });

  it('drops a waiting query whose client went away', async () => {
    const admission = createAdmission(1, 10_000);
    const leave = await admission.enter(signal());
    const controller = new AbortController();
    const waiting = admission.enter(controller.signal).then(
      () => 'admitted',
      () => 'dropped',
    );
    controller.abort(new Error('client closed'));
    expect(await waiting).toBe('dropped');
    leave();
    expect(admission.running).toBe(0);
  });
});
