export { AllInOneConfig, type AllInOneSettings, loadAllInOneConfig } from './config.ts';
export { ensureKafka, ensureRedis, reachable } from './local-stack.ts';
export { type AllInOne, startAllInOne } from './start-all-in-one.ts';
