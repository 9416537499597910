export { boolFlag, clickhouseUrl, csvList, logLevel, port, positiveInt, redisUrl } from './env.ts';
export { ConfigError, loadConfig } from './load-config.ts';
