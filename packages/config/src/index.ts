export { boolFlag, clickhouseUrl, csvList, logFormat, logLevel, port, positiveInt, redisUrl } from './env.ts';
export { ConfigError, loadConfig } from './load-config.ts';
