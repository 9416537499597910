export {
  type AnalystsEndpoint,
  type AnalystsEndpointDeps,
  startAnalystsEndpoint,
} from './analysts-endpoint.ts';
export { AnalystsConfig } from './config.ts';
export { formatClause } from './read-only-policy.ts';
