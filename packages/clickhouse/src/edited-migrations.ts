/**
 * Checksums (migrationChecksum) of texts that applied migrations had before they were edited in place,
 * taken from git history (blob ids in the comments; copies in test/fixtures/edited-migrations). These
 * edits happened before the runner recorded checksums. A database that recorded one of them is accepted:
 * later migrations bring it to the current definition (0028–0033). Anything else that differs from the
 * file is refused. Never add an entry to excuse a new edit: restore the file and add a migration instead.
 */
export const EDITED_MIGRATIONS: Readonly<Record<string, readonly string[]>> = {
  // e9a40ef (a5bf1b0): only its comment differed.
  '0010_create_kpi_values.sql': ['d87c16f0d510f879646c518c33144ac94c184ba28f1fde9415d0e728cdeddd57'],
  // 07e5a5c (4e7a3f5): a `counts` map in an AggregatingMergeTree; replaced by 0030.
  '0020_create_kpi_cells.sql': ['14a39a01cfc7b3ba3a11dfb7742cd9ccd269e9303572fc76b48f397346715977'],
  // a323d60 (4e7a3f5): no hourly partitions, rows kept 7 days; re-created by 0033.
  '0022_create_kpi_stage_facts.sql': ['00c822921f2518348209b54e680af8cf3b098c6ec8eba4375b4987248be2b9d5'],
  '0023_create_kpi_stage_cells.sql': [
    // 51fbc05 (4e7a3f5): a `counts` map; its columns are fixed by 0031.
    '460645932c93394b5d77ec4c28d122d36e36a854c158ec7faf4a0c27236c90f9',
    // 4372558 (6debe42): no hourly partitions, rows kept 7 days; re-created by 0032.
    'da0f050f46082f9411b4281c957f1cacd3a34e480b06a4c586640f495e5c7706',
  ],
  // 80443f1 (4e7a3f5): no `layout` column; 0028 marks unfinished generations abandoned, 0029 adds it.
  '0024_create_kpi_cycles.sql': ['73ed4400ad6f945de70a4707a3ad6a5bffae3bcad488011e69904b9a1273e9e4'],
};
