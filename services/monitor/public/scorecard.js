// The Decision 766 scorecard: per unit the total and the six groups, a drill-down to the components
// with numerator / denominator, units ranked by total, components without data marked with the reason.
import { el, replace } from './render.js';
import { $, boot, fmt, getJson, t } from './shared.js';

const KINDS = ['month', 'quarter', 'year'];
const params = new URLSearchParams(location.search);
const state = {
  kind: KINDS.includes(params.get('s766')) ? params.get('s766') : 'month',
  start: params.get('s766p') ?? '',
  open: new Set(),
};

function periodText(start, kind) {
  const [y, m] = start.split('-');
  if (kind === 'year') return y;
  if (kind === 'quarter') return `Q${Math.floor((Number(m) - 1) / 3) + 1}/${y}`;
  return `${m}/${y}`;
}

function scoreCell(item, testid) {
  return el(
    'td',
    {
      class: item.noData ? 'num sc-nodata' : 'num',
      'data-testid': testid,
      'data-kpi': item.kpi,
      'data-score': item.score ?? '',
      title: item.noData ? item.reason || t['scorecard.noData'] : null,
    },
    item.noData ? t['scorecard.noData'] : item.scoreText,
  );
}

function componentRows(unit) {
  return unit.groups.flatMap((g) =>
    g.components.map((c) =>
      el(
        'tr',
        {
          'data-testid': 'scorecard-component',
          'data-kpi': c.kpi,
          'data-score': c.score ?? '',
          'data-numerator': c.numerator ?? '',
          'data-denominator': c.denominator ?? '',
          'data-no-data': c.noData ? 'true' : 'false',
        },
        el('td', { text: g.name }),
        el('td', { text: `${c.code} ${c.name}`, title: c.kpi }),
        el('td', {
          class: 'num',
          text: c.numerator === null ? '—' : `${fmt(c.numerator)} / ${fmt(c.denominator)}`,
        }),
        el('td', { class: 'num', text: c.valueText }),
        el(
          'td',
          { class: c.noData ? 'num sc-nodata' : 'num' },
          c.noData ? t['scorecard.noData'] : `${c.scoreText} / ${fmt(c.points)}`,
        ),
        el('td', {
          'data-testid': 'scorecard-reason',
          class: 'sc-reason',
          text: c.noData ? c.reason || '—' : '',
        }),
      ),
    ),
  );
}

/** The unit's open dossiers and where each stands now (at-risk.js); the city's row opens the whole city. */
function atRiskLink(unit) {
  const q = new URLSearchParams();
  if (unit.scopeKind === 'agency') q.set('agency', unit.scopeCode);
  if (boot.lang !== 'vi') q.set('lang', boot.lang);
  return el('a', {
    href: q.size ? `/at-risk?${q}` : '/at-risk',
    class: 'sc-at-risk',
    'data-testid': 'scorecard-at-risk',
    text: t['risk.link'],
  });
}

function unitRows(unit, columns) {
  const key = `${unit.scopeKind}:${unit.scopeCode}`;
  const toggle = el('button', {
    type: 'button',
    class: 'link',
    'data-testid': 'scorecard-toggle',
    'aria-expanded': state.open.has(key) ? 'true' : 'false',
    text: t['scorecard.details'],
  });
  const detail = el(
    'tr',
    {
      class: 'sc-detail',
      'data-testid': 'scorecard-detail',
      'data-scope': key,
      hidden: !state.open.has(key),
    },
    el(
      'td',
      { colspan: String(columns) },
      el(
        'table',
        { class: 'sc-components' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...[
              'scorecard.group',
              'scorecard.component',
              'ratio',
              'value',
              'scorecard.score',
              'scorecard.reason',
            ].map((k) => el('th', { text: t[k] })),
          ),
        ),
        el('tbody', {}, ...componentRows(unit)),
      ),
    ),
  );
  toggle.addEventListener('click', () => {
    if (state.open.has(key)) state.open.delete(key);
    else state.open.add(key);
    detail.hidden = !state.open.has(key);
    toggle.setAttribute('aria-expanded', state.open.has(key) ? 'true' : 'false');
  });
  const name = unit.scopeKind === 'city' ? t.all : unit.name;
  const row = el(
    'tr',
    {
      'data-testid': 'scorecard-unit',
      'data-scope': key,
      'data-total': unit.total.score ?? '',
      'data-max-score': unit.total.maxScore ?? '',
      'data-rank': unit.rank ?? '',
    },
    el('td', { class: 'num', text: unit.rank ?? '' }),
    el('td', { text: name, title: unit.scopeCode || null }),
    el(
      'td',
      {
        class: unit.total.noData ? 'num sc-total sc-nodata' : 'num sc-total',
        'data-testid': 'scorecard-total',
        title: unit.total.noData ? unit.total.reason || null : null,
      },
      unit.total.noData ? t['scorecard.noData'] : unit.total.scoreText,
    ),
    el('td', { class: 'num', 'data-testid': 'scorecard-covered', text: unit.total.maxScoreText }),
    ...unit.groups.map((g) => scoreCell(g, 'scorecard-group')),
    el('td', { class: 'sc-actions' }, toggle, atRiskLink(unit)),
  );
  return [row, detail];
}

function render(data) {
  replace(
    $('scorecard-kind'),
    ...KINDS.map((k) => el('option', { value: k, selected: k === data.periodKind, text: t[`period.${k}`] })),
  );
  const starts = data.periods.includes(data.periodStart) ? data.periods : [data.periodStart, ...data.periods];
  replace(
    $('scorecard-period'),
    ...starts.map((p) =>
      el('option', {
        value: p,
        selected: p === data.periodStart,
        text: `${periodText(p, data.periodKind)}${p === data.current ? ` (${t['scorecard.current']})` : ''}`,
      }),
    ),
  );
  const container = $('scorecard');
  container.dataset.period = `${data.periodKind}:${data.periodStart}`;
  if (data.units.length === 0) {
    replace(
      container,
      el('p', { class: 'empty', 'data-testid': 'scorecard-empty', text: t['scorecard.empty'] }),
    );
    return;
  }
  const groups = data.units[0].groups;
  const columns = 5 + groups.length;
  const head = el(
    'tr',
    {},
    el('th', { class: 'num', text: t.rank }),
    el('th', { text: t['scorecard.unit'] }),
    el('th', { class: 'num', text: t['scorecard.total'] }),
    el('th', { class: 'num', text: t['scorecard.covered'] }),
    ...groups.map((g) => el('th', { class: 'num', title: g.kpi, text: `${g.name} (${g.points})` })),
    el('th', {}),
  );
  replace(
    container,
    el(
      'table',
      { 'data-testid': 'scorecard-table', class: 'sc-table' },
      el('thead', {}, head),
      el('tbody', {}, ...data.units.flatMap((u) => unitRows(u, columns))),
    ),
  );
}

export async function refreshScorecard() {
  try {
    const q = new URLSearchParams({ lang: boot.lang, period_kind: state.kind });
    if (state.start) q.set('period_start', state.start);
    const data = await getJson(`/api/index766/scorecard?${q}`);
    render(data);
    document.body.dataset.scorecardLoaded = `${data.periodKind}:${data.periodStart}`;
  } catch (err) {
    replace($('scorecard'), el('p', { class: 'error', text: `${t.loadError}: ${err.message}` }));
  }
}

export function startScorecard() {
  $('scorecard-kind').addEventListener('change', (event) => {
    state.kind = event.target.value;
    state.start = '';
    void refreshScorecard();
  });
  $('scorecard-period').addEventListener('change', (event) => {
    state.start = event.target.value;
    void refreshScorecard();
  });
  return refreshScorecard();
}
