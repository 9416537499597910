export { checksumBytes, cityHash128, type Hash128 } from './cityhash102.ts';
export { decodeBlocks, encodeBlock, encodeBlocks, METHOD } from './compressed-blocks.ts';
export {
  chooseResponseEncoding,
  createDecoder,
  createEncoder,
  HTTP_ENCODINGS,
  type HttpEncoding,
  requestEncoding,
} from './encodings.ts';
export { CODES, EndpointError, type ExceptionBody, exceptionBody, httpStatusOf } from './errors.ts';
export { type HttpQuery, readBody, readQuery } from './request.ts';
export { contentType, midStreamException } from './response.ts';
export {
  type ClickHouseHttpOptions,
  createClickHouseHttpHandler,
  type QueryBackend,
  type QueryExecution,
  type ResultChunk,
} from './serve.ts';
