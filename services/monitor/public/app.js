import { refreshActions, showSession } from './actions.js';
import { refreshPipeline } from './pipeline.js';
import { badge, el, meter, replace, table } from './render.js';
import { refreshScorecard, startScorecard } from './scorecard.js';
import { $, boot, fmt1, getJson, t } from './shared.js';

const PIPELINE_REFRESH_MS = 5_000;
const KPI_REFRESH_MS = 60_000;
const PERIOD_KINDS = ['month', 'quarter', 'year', 'day'];

// Filter state lives in the URL so a view can be shared and survives the language switch.
const params = new URLSearchParams(location.search);
const state = {
  level: params.get('level') ?? '',
  agency: params.get('agency') ?? '',
  field: params.get('field') ?? '',
  period: PERIOD_KINDS.includes(params.get('period')) ? params.get('period') : 'month',
  rankingKpi: params.get('rank') ?? '',
};
let filters = { adminLevels: [], agencies: [], fields: [] };
const charts = new Map();

/** kpi_latest has one scope per row: the most specific choice wins (agency, then field, then level). */
function scope() {
  if (state.agency) return { kind: 'agency', code: state.agency };
  if (state.field) return { kind: 'field', code: state.field };
  if (state.level) return { kind: 'admin_level', code: state.level };
  return { kind: 'city' };
}

function apiUrl(path, extra = {}) {
  const s = scope();
  const q = new URLSearchParams({ lang: boot.lang, scope_kind: s.kind, period_kind: state.period, ...extra });
  if (s.code) q.set('scope_code', s.code);
  return `${path}?${q}`;
}

function syncUrl() {
  const q = new URLSearchParams();
  if (boot.lang !== 'vi') q.set('lang', boot.lang);
  for (const key of ['level', 'agency', 'field']) if (state[key]) q.set(key, state[key]);
  if (state.period !== 'month') q.set('period', state.period);
  if (state.rankingKpi) q.set('rank', state.rankingKpi);
  history.replaceState(null, '', q.size ? `?${q}` : location.pathname);
  const other = new URLSearchParams(q);
  if (boot.lang === 'vi') other.set('lang', 'en');
  else other.delete('lang');
  $('lang-toggle').href = other.size ? `?${other}` : location.pathname;
}

function levelName(code) {
  return t[`level.${code}`] ?? code;
}

function periodLabel(periodStart, kind) {
  const [y, m, d] = periodStart.split('-');
  if (kind === 'year') return y;
  if (kind === 'quarter') return `Q${Math.floor((Number(m) - 1) / 3) + 1}/${y}`;
  if (kind === 'day') return `${d}/${m}/${y}`;
  return `${m}/${y}`;
}

function option(value, label, selected) {
  return el('option', { value, selected: value === selected, text: label });
}

function renderFilters() {
  replace(
    $('filter-admin-level'),
    option('', t.all, state.level),
    ...filters.adminLevels.map((c) => option(c, levelName(c), state.level)),
  );
  const agencies = filters.agencies.filter((a) => !state.level || a.adminLevel === state.level);
  replace(
    $('filter-agency'),
    option('', t.allAgencies, state.agency),
    ...agencies.map((a) => option(a.code, a.name, state.agency)),
  );
  replace(
    $('filter-field'),
    option('', t.allFields, state.field),
    ...filters.fields.map((c) => option(c, c, state.field)),
  );
  replace($('filter-period'), ...PERIOD_KINDS.map((k) => option(k, t[`period.${k}`], state.period)));
  const s = scope();
  const label =
    s.kind === 'agency'
      ? (filters.agencies.find((a) => a.code === s.code)?.name ?? s.code)
      : s.kind === 'field'
        ? `${t.field}: ${s.code}`
        : s.kind === 'admin_level'
          ? levelName(s.code)
          : t.all;
  $('scope-label').textContent = label;
}

function onFilterChange(event) {
  const { name, value } = event.target;
  if (name === 'level') Object.assign(state, { level: value, agency: '', field: '' });
  if (name === 'agency') Object.assign(state, { agency: value, field: '' });
  if (name === 'field') Object.assign(state, { field: value, agency: '', level: '' });
  if (name === 'period') state.period = value;
  renderFilters();
  syncUrl();
  void refreshKpis();
}

function renderCards(cardsData, trend) {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
  const container = $('kpi-cards');
  container.setAttribute('data-scope', `${cardsData.scope.kind}:${cardsData.scope.code ?? ''}`);
  if (cardsData.cards.length === 0) {
    replace(container, el('p', { class: 'empty', 'data-testid': 'kpi-empty', text: t.noData }));
    return;
  }
  const cards = cardsData.cards.map((c) => {
    const phase = c.phase.phase ? `${t.phase} ${c.phase.phase} (${c.phase.years})` : '—';
    const canvas = el('canvas', { 'aria-hidden': 'true' });
    const card = el(
      'article',
      {
        class: `card card-${c.status}`,
        'data-testid': 'kpi-card',
        'data-kpi': c.kpi,
        'data-value': c.value ?? '',
      },
      el('header', { class: 'card-head' }, el('h3', { text: c.name, title: c.kpi }), badge(c.status, t)),
      el('div', { class: 'card-value', 'data-testid': 'kpi-value', text: c.valueText }),
      meter(c.value, c.target, c.status),
      el(
        'dl',
        { class: 'card-facts' },
        el('dt', { text: t.target }),
        el('dd', { 'data-testid': 'kpi-target', text: c.targetText ?? t.noTarget }),
        el('dt', { text: t.periodKind }),
        el('dd', { 'data-testid': 'kpi-period', text: periodLabel(c.periodStart, cardsData.periodKind) }),
        el('dt', { text: t.phase }),
        el('dd', { 'data-testid': 'kpi-phase', text: phase }),
        el('dt', { text: t.ratio }),
        el('dd', {
          'data-testid': 'kpi-ratio',
          text: `${c.numeratorText} / ${c.denominatorText}`,
        }),
        c.scoreText ? el('dt', { text: t.score }) : null,
        c.scoreText ? el('dd', { 'data-testid': 'kpi-score', text: c.scoreText }) : null,
      ),
      el('div', { class: 'card-chart' }, canvas),
    );
    const series = trend.series.find((s) => s.kpi === c.kpi);
    if (series && window.Chart) charts.set(c.kpi, trendChart(canvas, trend.months, series));
    return card;
  });
  replace(container, ...cards);
}

function trendChart(canvas, months, series) {
  const pct = (v) => (v === null ? null : Math.round(v * 1000) / 10);
  return new window.Chart(canvas, {
    type: 'line',
    data: {
      labels: months.map((m) => periodLabel(m, 'month')),
      datasets: [
        {
          label: t.value,
          data: series.values.map(pct),
          borderColor: '#1d4ed8',
          backgroundColor: 'rgba(29,78,216,.08)',
          fill: true,
          tension: 0.3,
          pointRadius: 2,
          spanGaps: true,
        },
        {
          label: t.target,
          data: series.targets.map(pct),
          borderColor: '#9ca3af',
          borderDash: [4, 4],
          pointRadius: 0,
          fill: false,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmt1(ctx.parsed.y)}%` } },
      },
      scales: {
        x: { ticks: { maxTicksLimit: 6, font: { size: 10 } }, grid: { display: false } },
        y: { min: 0, max: 100, ticks: { stepSize: 25, font: { size: 10 }, callback: (v) => `${v}%` } },
      },
    },
  });
}

function renderRanking(data) {
  const tables = data.tables;
  if (!tables.some((tb) => tb.kpi === state.rankingKpi)) state.rankingKpi = tables[0]?.kpi ?? '';
  replace(
    $('ranking-tabs'),
    ...tables.map((tb) => {
      const tab = el('button', {
        type: 'button',
        role: 'tab',
        class: tb.kpi === state.rankingKpi ? 'tab active' : 'tab',
        'aria-selected': tb.kpi === state.rankingKpi ? 'true' : 'false',
        'data-testid': 'ranking-tab',
        'data-kpi': tb.kpi,
        text: tb.name,
      });
      tab.addEventListener('click', () => {
        state.rankingKpi = tb.kpi;
        syncUrl();
        renderRanking(data);
      });
      return tab;
    }),
  );
  const current = tables.find((tb) => tb.kpi === state.rankingKpi);
  const columns = [
    { key: 'rank', label: t.rank, align: 'right' },
    { key: 'agencyName', label: t.agency },
    { key: 'adminLevel', label: t.adminLevel, render: (r) => (r.adminLevel ? levelName(r.adminLevel) : '—') },
    {
      key: 'valueText',
      label: t.value,
      render: (r) => el('span', { class: 'value-cell' }, meter(r.value, null, r.status), r.valueText),
    },
    { key: 'denominatorText', label: t.dossiers, align: 'right' },
    { key: 'status', label: '', render: (r) => badge(r.status, t) },
  ];
  const rows = current?.rows ?? [];
  replace(
    $('ranking'),
    current
      ? el('p', {
          class: 'caption',
          text: `${current.name} — ${periodLabel(current.periodStart, data.periodKind)}`,
        })
      : null,
    table(columns, rows, { empty: t.noData, testid: 'ranking-table' }),
  );
}

async function refreshKpis() {
  try {
    const rankingQuery = { limit: '50', ...(state.level ? { admin_level: state.level } : {}) };
    const [cards, trend, ranking] = await Promise.all([
      getJson(apiUrl('/api/kpi/cards')),
      getJson(apiUrl('/api/kpi/trend')),
      getJson(
        `/api/kpi/ranking?${new URLSearchParams({ lang: boot.lang, period_kind: state.period, ...rankingQuery })}`,
      ),
    ]);
    renderCards(cards, trend);
    renderRanking(ranking);
    document.body.dataset.kpiLoaded = `${cards.scope.kind}:${cards.scope.code ?? ''}:${cards.periodKind}`;
  } catch (err) {
    replace($('kpi-cards'), el('p', { class: 'error', text: `${t.loadError}: ${err.message}` }));
  }
}

async function start() {
  try {
    filters = await getJson('/api/filters');
  } catch {
    // Empty filter lists still leave the city view usable.
  }
  renderFilters();
  syncUrl();
  for (const id of ['filter-admin-level', 'filter-agency', 'filter-field', 'filter-period']) {
    $(id).addEventListener('change', onFilterChange);
  }
  await Promise.all([refreshKpis(), startScorecard(), refreshPipeline(), refreshActions(), showSession()]);
  setInterval(refreshPipeline, PIPELINE_REFRESH_MS);
  setInterval(refreshActions, PIPELINE_REFRESH_MS);
  setInterval(refreshKpis, KPI_REFRESH_MS);
  setInterval(refreshScorecard, KPI_REFRESH_MS);
}

void start();
