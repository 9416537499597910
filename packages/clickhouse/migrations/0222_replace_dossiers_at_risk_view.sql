-- The open received dossiers and where each stands now (issue 19; packages/kpi/src/at-risk/): the
-- progress component's on-time rule applied to now() over dossiers_at_risk_open_v1, the open received
-- dossiers of the last KPI cycle, so a dossier enters and leaves with the cycle after its event. state:
-- overdue (late if the period ended now), waiting_applicant (a supplement requested and not received: the
-- clock is paused), due_soon (2 or fewer working days left; for another horizon h, take the rows not
-- overdue or waiting with working_days_left <= h), on_track. due_at is the due date, else the procedure's
-- legal maximum; working_days_left counts from today (city time) to it, moved by the supplement's wait (0
-- due today; a day off counts as the next working day); calendar_complete is 0 when a year between has no
-- working calendar (weekends only); effective_due_at is the deadline moved by the supplement's wait so
-- far (late if judged after it; the outlook counts the dossiers it puts before a period's end). Generated
-- by dossiersAtRiskViewSql(); no personal data.
CREATE OR REPLACE VIEW dossiers_at_risk_v1 AS
WITH
  (SELECT groupArray(date) FROM working_calendar_latest_v1 WHERE kind = 'holiday') AS wd_holidays,
  (SELECT groupArray(date) FROM working_calendar_latest_v1 WHERE kind = 'working_day') AS wd_working,
  (SELECT groupArray(year) FROM working_calendar_latest_v1 WHERE kind = 'year') AS wd_years,
  now64(3, 'UTC') AS as_of
SELECT
  dossier_code,
  agency_code,
  procedure_code,
  field_code,
  channel,
  received_at,
  due_at,
  toInt64(if(effective_due IS NULL, NULL, ((intDiv(dateDiff('day', toDate('1970-01-05'), toDate(toTimeZone(effective_due, 'Asia/Ho_Chi_Minh'))), 7) * 5 + least(modulo(dateDiff('day', toDate('1970-01-05'), toDate(toTimeZone(effective_due, 'Asia/Ho_Chi_Minh'))), 7), 5) - arrayCount(wd_h -> wd_h < toDate(toTimeZone(effective_due, 'Asia/Ho_Chi_Minh')), wd_holidays) + arrayCount(wd_w -> wd_w < toDate(toTimeZone(effective_due, 'Asia/Ho_Chi_Minh')), wd_working)) - (intDiv(dateDiff('day', toDate('1970-01-05'), toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh'))), 7) * 5 + least(modulo(dateDiff('day', toDate('1970-01-05'), toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh'))), 7), 5) - arrayCount(wd_h -> wd_h < toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh')), wd_holidays) + arrayCount(wd_w -> wd_w < toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh')), wd_working))))) AS working_days_left,
  multiIf(
    requests > 1 OR (effective_due IS NOT NULL AND as_of > effective_due), 'overdue',
    received < requests, 'waiting_applicant',
    working_days_left <= 2, 'due_soon',
    'on_track') AS state,
  toUInt8(arrayAll(wd_y -> has(wd_years, wd_y), range(toUInt16(toYear(least(toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh')), coalesce(toDate(toTimeZone(effective_due, 'Asia/Ho_Chi_Minh')), toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh')))))), toUInt16(toYear(greatest(toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh')), coalesce(toDate(toTimeZone(effective_due, 'Asia/Ho_Chi_Minh')), toDate(toTimeZone(as_of, 'Asia/Ho_Chi_Minh'))))) + 1)))) AS calendar_complete,
  as_of,
  effective_due AS effective_due_at
FROM
(
  SELECT
    dossier_code, agency_code, procedure_code, field_code, channel, received_at, due_at,
    arrayCount(x -> x < as_of, supplement_requested_at) AS requests,
    arrayCount(x -> x < as_of, supplement_received_at) AS received,
    if(requests = 1,
       dateDiff('millisecond', supplement_requested_at[1],
         if(length(supplement_received_at) >= 1 AND supplement_received_at[1] < as_of,
            greatest(supplement_received_at[1], supplement_requested_at[1]), as_of)),
       0) AS waiting_ms,
    due_at + toIntervalMillisecond(waiting_ms) AS effective_due,
    sign
  FROM dossiers_at_risk_open_v1 FINAL
  WHERE 1 AND received_at <= as_of AND (finished_at IS NULL OR finished_at > as_of)
)
