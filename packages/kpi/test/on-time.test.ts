import { describe, expect, it } from 'vitest';
import { type OnTimeFacts, onTimeAt } from '../src/index.ts';

const city = (local: string) => new Date(`${local}+07:00`);

// Received 2 March, due 13 March 17:00. The agency asks for a supplement only on 18 March, after that
// appointment; it arrives on 23 March and the appointment is re-issued for 3 April.
const original = city('2025-03-13T17:00:00');
const requested = city('2025-03-18T09:00:00');
const receipt = city('2025-03-23T10:00:00');
const reissued = city('2025-04-03T17:00:00');
const late: OnTimeFacts = {
  dueAt: reissued,
  dueBeforeAt: original,
  dueMovedAt: receipt,
  deadlineNoDue: null,
  supplementRequestedAt: [requested],
  supplementReceivedAt: [receipt],
};

const verdict = (facts: OnTimeFacts, at: string) => onTimeAt(facts, city(at));

describe('the on-time verdict judges an instant by the appointment in force then', () => {
  it('is on time up to the original appointment, which is in force then', () => {
    expect(verdict(late, '2025-03-10T23:59:59.999')).toMatchObject({ onTime: true, deadline: original });
    expect(verdict(late, '2025-03-13T17:00:00')).toMatchObject({ onTime: true, deadline: original });
  });

  it('is late after the original appointment, before the late supplement is even requested', () => {
    // The end of 15 March (a period's end): the re-issued appointment did not exist yet.
    expect(verdict(late, '2025-03-15T23:59:59.999')).toMatchObject({ onTime: false, deadline: original });
  });

  it('stays late while the late supplement is awaited: the wait moves a deadline already missed', () => {
    expect(verdict(late, '2025-03-20T12:00:00')).toMatchObject({
      onTime: false,
      deadline: original,
      waitingMs: city('2025-03-20T12:00:00').getTime() - requested.getTime(),
    });
  });

  it('is judged by the re-issued appointment from its re-issue on', () => {
    expect(verdict(late, '2025-03-23T10:00:00.001')).toMatchObject({ onTime: true, deadline: reissued });
    expect(verdict(late, '2025-03-31T23:59:59.999')).toMatchObject({ onTime: true, deadline: reissued });
    expect(verdict(late, '2025-04-03T17:00:00.001')).toMatchObject({ onTime: false, deadline: reissued });
  });

  it('a supplement requested in time holds the clock while awaited, then the re-issued appointment counts', () => {
    const inTime: OnTimeFacts = {
      ...late,
      supplementRequestedAt: [city('2025-03-10T09:00:00')],
      supplementReceivedAt: [receipt],
    };
    // Past the original appointment but within it plus the wait so far: on time.
    expect(verdict(inTime, '2025-03-20T12:00:00')).toMatchObject({ onTime: true, deadline: original });
    expect(verdict(inTime, '2025-03-31T23:59:59.999')).toMatchObject({ onTime: true, deadline: reissued });
  });

  it('without a re-issue, the one appointment counts at every instant (as before)', () => {
    const plain: OnTimeFacts = { ...late, dueBeforeAt: null, dueMovedAt: null };
    expect(verdict(plain, '2025-03-15T23:59:59.999')).toMatchObject({ onTime: true, deadline: reissued });
  });

  it('two supplement requests make it late from the second on, whatever the appointment', () => {
    const twice: OnTimeFacts = {
      ...late,
      supplementRequestedAt: [city('2025-03-05T09:00:00'), city('2025-03-25T09:00:00')],
    };
    expect(verdict(twice, '2025-03-24T12:00:00').onTime).toBe(true);
    expect(verdict(twice, '2025-03-25T09:00:00.001').onTime).toBe(false);
  });
});
