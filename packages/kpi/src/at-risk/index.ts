export * from './at-risk.sql.ts';
export * from './at-risk.ts';
