export { CLICKHOUSE_REJECTED, DLQ_HEADERS, REPLAY_HEADER } from './headers.ts';
export {
  type BoundQuery,
  deadLetterListQuery,
  deadLettersByReasonQuery,
  latestDeadLettersQuery,
  replaySelectionQuery,
} from './queries.ts';
export { type ReplayDeps, type ReplayedLetter, type ReplayFilter, replayDeadLetters } from './replay.ts';
export { type DeadLetterFilter, selectionConditions } from './selection.ts';
