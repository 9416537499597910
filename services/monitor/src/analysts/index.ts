export {
  type AnalystsEndpoint,
  type AnalystsEndpointDeps,
  startAnalystsEndpoint,
} from './analysts-endpoint.ts';
export { CODES, EndpointError, exceptionBody, httpStatusOf } from './clickhouse-errors.ts';
export { AnalystsConfig } from './config.ts';
export { formatClause } from './run-query.ts';
