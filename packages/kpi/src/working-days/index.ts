export * from './calendar-csv.ts';
export * from './calendar-store.ts';
export * from './working-days.sql.ts';
export * from './working-days.ts';
