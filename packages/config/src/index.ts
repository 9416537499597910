export {
  boolFlag,
  byteSize,
  clickhouseUrl,
  csvList,
  logFormat,
  logLevel,
  port,
  positiveInt,
  redisUrl,
  share,
} from './env.ts';
export { ConfigError, loadConfig } from './load-config.ts';
