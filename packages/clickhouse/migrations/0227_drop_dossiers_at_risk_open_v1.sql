-- dossiers_at_risk_open_v1 (0220) is replaced by v2 (0224), which 0225 filled from it and 0226's view
-- reads: nothing reads or writes v1 any more.
DROP TABLE IF EXISTS dossiers_at_risk_open_v1
