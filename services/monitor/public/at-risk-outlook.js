// The Decision 766 scores the unit is heading for in the current period (GET /api/at-risk/outlook): now,
// if every dossier at stake misses its due date, and projected from recent on-time shares.
import { el, replace } from './render.js';
import { $, boot, fmt, getJson, t } from './shared.js';

const KINDS = ['month', 'quarter', 'year'];
const twoDigits = new Intl.NumberFormat(boot.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const scoreText = (n) => (n === null || n === undefined ? '—' : twoDigits.format(n));

function row(testKpi, label, c, maxScore) {
  return el(
    'tr',
    {
      'data-testid': 'risk-outlook-row',
      'data-kpi': testKpi,
      'data-now': c.now,
      'data-if-missed': c.ifMissed,
      'data-projected': c.projected,
    },
    el('td', { text: label }),
    el('td', { class: 'num', text: scoreText(c.now) }),
    el('td', { class: 'num', text: scoreText(c.ifMissed) }),
    el('td', { class: 'num', text: scoreText(c.projected) }),
    el('td', { class: 'num', text: scoreText(maxScore) }),
  );
}

function render(data) {
  const rows = [];
  const component = (kpi, label, c) => {
    if (c)
      rows.push(
        row(
          kpi,
          label,
          { now: c.now.score, ifMissed: c.ifMissed.score, projected: c.projected.score },
          c.maxScore,
        ),
      );
  };
  component('index766.progress', t['outlook.progress'], data.progress);
  component(
    'index766.satisfaction.dossier_satisfaction',
    t['outlook.satisfaction'],
    data.dossierSatisfaction,
  );
  if (data.total) rows.push(row('index766.total', t['scorecard.total'], data.total, data.total.maxScore));
  const stake = el('p', {
    class: 'risk-stake',
    'data-testid': 'risk-outlook-stake',
    'data-at-stake': data.atStake,
    'data-projected-on-time': data.projectedOnTime,
    text: t['outlook.stake']
      .replace('{n}', fmt(data.atStake))
      .replace('{p}', fmt(data.projectedOnTime))
      .replace('{o}', fmt(data.overdue))
      .replace('{w}', fmt(data.waitingApplicant)),
  });
  const head = el(
    'tr',
    {},
    ...['outlook.component', 'outlook.now', 'outlook.ifMissed', 'outlook.projected', 'outlook.max'].map(
      (k, i) => el('th', { class: i ? 'num' : null, text: t[k] }),
    ),
  );
  replace(
    $('risk-outlook'),
    stake,
    rows.length
      ? el('table', { 'data-testid': 'risk-outlook-table' }, el('thead', {}, head), el('tbody', {}, ...rows))
      : el('p', { class: 'empty', text: t['scorecard.empty'] }),
    el('p', { class: 'caption', text: t['outlook.note'] }),
  );
}

/** Draws the outlook of `agency` ('' for the city); the section stays hidden where the route is missing. */
export async function refreshOutlook(agency, kind) {
  const section = $('risk-outlook-section');
  const q = new URLSearchParams({ period_kind: kind });
  if (agency) q.set('agency', agency);
  try {
    const data = await getJson(`/api/at-risk/outlook?${q}`);
    render(data);
    section.hidden = false;
    document.body.dataset.outlookLoaded = `${agency}:${data.periodKind}`;
  } catch (err) {
    replace($('risk-outlook'), el('p', { class: 'error', text: `${t.loadError}: ${err.message}` }));
  }
}

export function outlookKinds(selected) {
  return KINDS.map((k) => el('option', { value: k, selected: k === selected, text: t[`period.${k}`] }));
}
