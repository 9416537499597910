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
  secretKey,
  secretKeyList,
  share,
} from './env.ts';
export { ConfigError, loadConfig } from './load-config.ts';
