export { CLICKHOUSE_REJECTED, DLQ_HEADERS, REPLAY_HEADER } from './headers.ts';
export { sealLegacyDeadLetters } from './legacy.ts';
export {
  DEAD_LETTERS_TABLE,
  type DeadLetter,
  type DeadLetterRow,
  recordBytes,
  type TopicRecord,
  toCopyMessage,
  toDeadLetterRow,
  toReferenceMessage,
} from './letter.ts';
export {
  type BoundQuery,
  deadLetterListQuery,
  deadLettersByReasonQuery,
  latestDeadLettersQuery,
  replaySelectionQuery,
} from './queries.ts';
export {
  packRequests,
  REPLAY_CHUNK,
  type ReplayDeps,
  type ReplayedLetter,
  type ReplayFilter,
  replayDeadLetters,
} from './replay.ts';
export {
  type DeadLetterKeys,
  deadLetterKeys,
  headerList,
  headerRecord,
  KEY_PATTERN,
  type OriginalMessage,
  open,
  positionOf,
  type SealKey,
  seal,
  sealKey,
  UnknownKeyError,
} from './seal.ts';
export { type DeadLetterFilter, selectionConditions } from './selection.ts';
export {
  isRecordRefusal,
  sendToDeadLetterTopic,
  type TopicLimit,
  type TopicOutcome,
  type TopicWriterDeps,
} from './send.ts';
export { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, readTopicLimit } from './topic-limit.ts';
