import { describe, expect, it } from 'vitest';
import { deadLetterListQuery, latestDeadLettersQuery, replaySelectionQuery } from '../src/queries.ts';

const HOSTILE = "x'; DROP TABLE dead_letters_v1; --";

describe('dead-letter queries', () => {
  it('the dashboard sample never selects the payload, key or headers', () => {
    const { query } = latestDeadLettersQuery(10);
    for (const column of ['value_base64', 'message_key_base64', 'headers_json'])
      expect(query).not.toContain(column);
    expect(query).toContain('{limit:UInt32}');
  });

  it('the list and the replay select the same letters, values only as parameters', () => {
    const filter = {
      since: new Date('2026-01-01T00:00:00Z'),
      until: new Date('2026-02-01T00:00:00Z'),
      reason: HOSTILE,
      topic: HOSTILE,
    };
    const list = deadLetterListQuery(filter, 10);
    const replay = replaySelectionQuery(filter);
    for (const q of [list, replay]) {
      expect(q.query).not.toContain(HOSTILE);
      expect(q.query_params).toMatchObject({
        since: '2026-01-01 00:00:00.000',
        until: '2026-02-01 00:00:00.000',
        reason: HOSTILE,
        topic: HOSTILE,
      });
    }
    expect(list.query).toContain('d.reason_code = {reason:String}');
    expect(replay.query).toContain('reason_code = {reason:String}');
    expect(list.query).not.toContain('value_base64');
  });
});
