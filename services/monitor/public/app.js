import { badge, el, formatAge, meter, numberFormat, replace, table } from './render.js';

const boot = JSON.parse(document.getElementById('boot').textContent);
const t = boot.messages;
const fmt = numberFormat(boot.locale);
const fmt1 = numberFormat(boot.locale, 1);
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
let throughputChart;

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

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

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
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

/** ClickHouse DateTime64 text in UTC, shown in the reader's locale and time zone. */
function utcText(text) {
  return new Date(`${text.replace(' ', 'T')}Z`).toLocaleString(boot.locale);
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

function renderPipeline(p) {
  const ready = p.readiness.ready;
  const pill = $('readiness');
  pill.textContent = ready ? t.ready : t.notReady;
  pill.className = ready ? 'pill pill-ok' : 'pill pill-bad';
  pill.title = Object.entries(p.readiness.checks)
    .map(([name, c]) => `${name}: ${c.ok ? 'ok' : (c.detail ?? 'failing')}`)
    .join('\n');

  const tp = $('pipeline-throughput');
  tp.querySelector('.stat-value').textContent = p.throughput.inProcess
    ? `${fmt1(p.throughput.current?.accepted ?? 0)} ${t.perSecond}`
    : '—';
  tp.querySelector('.stat-sub').textContent = p.throughput.inProcess
    ? `${t.accepted} ${fmt(p.throughput.totals.accepted)} · ${t.rejected} ${fmt(p.throughput.totals.rejected)}`
    : t.notInProcess;
  drawThroughput(tp.querySelector('canvas'), p.throughput.points);

  const totalLag = p.lag.partitions.reduce((sum, x) => sum + x.lag, 0);
  const lagTile = $('pipeline-lag-total');
  lagTile.querySelector('.stat-value').textContent = p.lag.inProcess ? `${fmt(totalLag)} ${t.messages}` : '—';
  lagTile.querySelector('.stat-sub').textContent = p.lag.inProcess
    ? `${p.lag.partitions.length} ${t.partitions}`
    : t.notInProcess;
  replace(
    $('pipeline-lag'),
    table(
      [
        { key: 'topic', label: t.topic },
        { key: 'partition', label: t.partition, align: 'right' },
        { key: 'lag', label: t.messages, align: 'right', render: (r) => fmt(r.lag) },
      ],
      p.lag.partitions,
      { empty: p.lag.inProcess ? t.noData : t.notInProcess, testid: 'lag-table' },
    ),
  );

  const recent = p.deadLetters.reasons.reduce((sum, r) => sum + r.recent, 0);
  const dlTile = $('dead-letter-total');
  dlTile.querySelector('.stat-value').textContent = fmt(recent);
  dlTile.querySelector('.stat-sub').textContent =
    `${t.total}: ${fmt(p.deadLetters.reasons.reduce((s, r) => s + r.total, 0))}`;
  dlTile.classList.toggle('stat-warn', recent > 0);
  replace(
    $('dead-letter-reasons'),
    table(
      [
        { key: 'reasonCode', label: t.reason, render: (r) => el('code', { text: r.reasonCode }) },
        { key: 'recent', label: t.recent, align: 'right', render: (r) => fmt(r.recent) },
        { key: 'total', label: t.total, align: 'right', render: (r) => fmt(r.total) },
      ],
      p.deadLetters.reasons,
      { empty: t.noData, testid: 'reason-table' },
    ),
  );
  replace(
    $('dead-letter-latest'),
    table(
      [
        {
          key: 'position',
          label: t.position,
          render: (r) => el('code', { text: `${r.topic}/${r.partition}@${r.offset}` }),
        },
        {
          key: 'reasonCode',
          label: t.reason,
          render: (r) =>
            el('span', { title: r.reasonText }, el('code', { text: r.reasonCode }), ` ${r.reasonText}`),
        },
        { key: 'bytes', label: t.size, align: 'right', render: (r) => `${fmt(r.bytes)} B` },
        {
          key: 'rejectedAt',
          label: t.time,
          render: (r) => utcText(r.rejectedAt),
        },
      ],
      p.deadLetters.latest,
      { empty: t.noData, testid: 'latest-table' },
    ),
  );

  const agg = $('aggregation-age');
  agg.querySelector('.stat-value').textContent =
    `${formatAge(p.aggregation.ageSeconds)} ${p.aggregation.ageSeconds === null ? '' : t.ago}`;
  agg.querySelector('.stat-sub').textContent = p.aggregation.lastComputedAt
    ? utcText(p.aggregation.lastComputedAt)
    : t.noData;
  agg.classList.toggle('stat-warn', (p.aggregation.ageSeconds ?? 0) > 600);

  replace(
    $('queue-state'),
    table(
      [
        {
          key: 'name',
          label: t.queue,
          render: (q) => el('a', { href: `/queues/queue/${encodeURIComponent(q.name)}`, text: q.name }),
        },
        ...['waiting', 'active', 'delayed', 'failed', 'completed'].map((k) => ({
          key: k,
          label: t[`state.${k}`],
          align: 'right',
          render: (q) => fmt(q.counts[k] ?? 0),
        })),
        { key: 'schedulers', label: t.schedulers, align: 'right', render: (q) => fmt(q.schedulers) },
        {
          key: 'paused',
          label: '',
          render: (q) => (q.paused ? el('span', { class: 'badge badge-not_met', text: t.paused }) : ''),
        },
      ],
      p.queues,
      { empty: t.noData, testid: 'queue-table' },
    ),
  );
  $('updated').textContent = `${t.updated} ${new Date().toLocaleTimeString(boot.locale)}`;
}

function drawThroughput(canvas, points) {
  if (!window.Chart) return;
  const labels = points.map((p) => new Date(p.at).toLocaleTimeString(boot.locale));
  const accepted = points.map((p) => p.accepted);
  const rejected = points.map((p) => p.rejected);
  if (throughputChart) {
    throughputChart.data.labels = labels;
    throughputChart.data.datasets[0].data = accepted;
    throughputChart.data.datasets[1].data = rejected;
    throughputChart.update('none');
    return;
  }
  throughputChart = new window.Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: t.accepted, data: accepted, borderColor: '#15803d', pointRadius: 0, tension: 0.3 },
        { label: t.rejected, data: rejected, borderColor: '#b91c1c', pointRadius: 0, tension: 0.3 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { display: false }, y: { display: false, beginAtZero: true } },
    },
  });
}

async function refreshPipeline() {
  try {
    renderPipeline(await getJson('/api/pipeline'));
  } catch (err) {
    $('updated').textContent = `${t.loadError}: ${err.message}`;
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
  await Promise.all([refreshKpis(), refreshPipeline()]);
  setInterval(refreshPipeline, PIPELINE_REFRESH_MS);
  setInterval(refreshKpis, KPI_REFRESH_MS);
}

void start();
