export * from './at-risk.sql.ts';
export * from './at-risk.ts';
export * from './outlook.sql.ts';
export * from './outlook.ts';
