// The open dossiers of one unit (its sub-units included) and where each stands now: counts by state,
// the units below it rolled up, and the list by working days left, page by page (GET /api/at-risk).
import { outlookKinds, refreshOutlook } from './at-risk-outlook.js';
import { el, replace, table } from './render.js';
import { $, boot, fmt, getJson, t } from './shared.js';

const STATES = ['overdue', 'due_soon', 'waiting_applicant', 'on_track'];
const PAGE_SIZE = 50;
const REFRESH_MS = 60_000;

// The view lives in the URL so it can be shared and survives the language switch.
const params = new URLSearchParams(location.search);
const horizonParam = Number.parseInt(params.get('horizon') ?? '', 10);
const state = {
  agency: params.get('agency') ?? '',
  state: STATES.includes(params.get('state')) ? params.get('state') : '',
  horizon: Number.isInteger(horizonParam) && horizonParam >= 0 && horizonParam <= 60 ? horizonParam : null,
  page: Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1),
  outlook: ['quarter', 'year'].includes(params.get('outlook')) ? params.get('outlook') : 'month',
};
let names = new Map();

// Due dates and days left are counted in city days, so instants are shown in city time too.
const cityFormat = new Intl.DateTimeFormat(boot.locale, {
  timeZone: 'Asia/Ho_Chi_Minh',
  dateStyle: 'short',
  timeStyle: 'short',
});
const cityTime = (utc) => cityFormat.format(new Date(`${utc.replace(' ', 'T')}Z`));

const stateText = (s) => t[`risk.state.${s}`];
const unitName = (code) => (code ? (names.get(code) ?? code) : t.all);

function query(extra = {}) {
  const q = new URLSearchParams();
  if (state.agency) q.set('agency', state.agency);
  if (state.state) q.set('state', state.state);
  if (state.horizon !== null) q.set('horizon', String(state.horizon));
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return q;
}

function syncUrl() {
  const q = query({
    ...(state.page > 1 ? { page: state.page } : {}),
    ...(state.outlook !== 'month' ? { outlook: state.outlook } : {}),
  });
  if (boot.lang !== 'vi') q.set('lang', boot.lang);
  history.replaceState(null, '', q.size ? `?${q}` : location.pathname);
  const other = new URLSearchParams(q);
  if (boot.lang === 'vi') other.set('lang', 'en');
  else other.delete('lang');
  $('lang-toggle').href = other.size ? `?${other}` : location.pathname;
  $('risk-back').href = boot.lang === 'vi' ? '/' : `/?lang=${boot.lang}`;
  const csv = query({ format: 'csv' });
  $('risk-csv').href = `/api/at-risk?${csv}`;
}

/** A link to another unit's page, keeping the state filter, horizon and language. */
function unitLink(code) {
  const q = new URLSearchParams({ agency: code });
  if (state.horizon !== null) q.set('horizon', String(state.horizon));
  if (boot.lang !== 'vi') q.set('lang', boot.lang);
  return el('a', {
    href: `/at-risk?${q}`,
    'data-testid': 'risk-unit-link',
    title: code,
    text: unitName(code),
  });
}

function renderFilters() {
  const codes = [...names.keys()];
  if (state.agency && !names.has(state.agency)) codes.unshift(state.agency);
  replace(
    $('risk-agency'),
    el('option', { value: '', selected: state.agency === '', text: t.all }),
    ...codes.map((c) => el('option', { value: c, selected: c === state.agency, text: unitName(c) })),
  );
  replace(
    $('risk-state'),
    el('option', { value: '', selected: state.state === '', text: t['risk.allStates'] }),
    ...STATES.map((s) => el('option', { value: s, selected: s === state.state, text: stateText(s) })),
  );
}

function renderCounts(data) {
  replace(
    $('risk-counts'),
    ...STATES.map((s) =>
      el(
        'div',
        {
          class: `stat stat-${s}`,
          'data-testid': 'risk-count',
          'data-state': s,
          'data-count': data.counts[s],
        },
        el('div', { class: 'stat-label', text: stateText(s) }),
        el('div', { class: 'stat-value', text: fmt(data.counts[s]) }),
      ),
    ),
  );
}

/** The unit asked for first, then the units below it, most overdue first. */
function renderUnits(data) {
  const units = [...data.units].sort(
    (a, b) =>
      Number(b.agency === state.agency) - Number(a.agency === state.agency) ||
      b.counts.overdue - a.counts.overdue ||
      b.counts.due_soon - a.counts.due_soon ||
      a.agency.localeCompare(b.agency),
  );
  const rows = units.map((u) =>
    el(
      'tr',
      {
        'data-testid': 'risk-unit',
        'data-agency': u.agency,
        class: u.agency === state.agency ? 'risk-selected' : null,
      },
      el('td', {}, unitLink(u.agency)),
      ...STATES.map((s) =>
        el('td', {
          class: `num risk-${s}`,
          'data-state': s,
          'data-count': u.counts[s],
          text: fmt(u.counts[s]),
        }),
      ),
    ),
  );
  if (rows.length === 0) {
    replace($('risk-units'), el('p', { class: 'empty', text: t['risk.empty'] }));
    return;
  }
  replace(
    $('risk-units'),
    el(
      'table',
      { 'data-testid': 'risk-units-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { text: t['scorecard.unit'] }),
          ...STATES.map((s) => el('th', { class: 'num', text: stateText(s) })),
        ),
      ),
      el('tbody', {}, ...rows),
    ),
  );
}

function daysLeft(row) {
  if (row.working_days_left === null) return t['risk.noDue'];
  const text = fmt(row.working_days_left);
  if (row.calendar_complete) return text;
  return el(
    'span',
    { title: t['risk.weekendsOnly'] },
    text,
    el('span', { class: 'risk-partial', text: ' *' }),
  );
}

function renderList(data) {
  const columns = [
    { key: 'dossier_code', label: t['risk.dossier'], render: (r) => el('code', { text: r.dossier_code }) },
    { key: 'agency_code', label: t['scorecard.unit'], render: (r) => unitName(r.agency_code) },
    { key: 'procedure_code', label: t['risk.procedure'] },
    { key: 'field_code', label: t.field },
    { key: 'channel', label: t['risk.channel'] },
    { key: 'received_at', label: t['risk.received'], render: (r) => cityTime(r.received_at) },
    { key: 'due_at', label: t['risk.due'], render: (r) => (r.due_at ? cityTime(r.due_at) : '—') },
    { key: 'working_days_left', label: t['risk.daysLeft'], align: 'right', render: daysLeft },
    {
      key: 'state',
      label: t['risk.state'],
      render: (r) => el('span', { class: `risk-${r.state}`, text: stateText(r.state) }),
    },
  ];
  const list = table(columns, data.rows, { empty: t['risk.empty'], testid: 'risk-table' });
  // Each row carries its code and state for whoever reads the page by machine (and the browser test).
  const body = list.querySelectorAll('tbody tr');
  data.rows.forEach((r, i) => {
    body[i]?.setAttribute('data-dossier', r.dossier_code);
    body[i]?.setAttribute('data-state', r.state);
    body[i]?.setAttribute('data-days-left', r.working_days_left ?? '');
  });
  const partial = data.rows.some((r) => !r.calendar_complete);
  replace(
    $('risk-list'),
    list,
    partial
      ? el('p', { class: 'caption', 'data-testid': 'risk-partial', text: `* ${t['risk.weekendsOnly']}` })
      : null,
  );
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  const pageText = $('risk-page');
  pageText.textContent = `${t['risk.page']} ${fmt(data.page)} / ${fmt(pages)} (${fmt(data.total)})`;
  pageText.dataset.page = String(data.page);
  pageText.dataset.pages = String(pages);
  $('risk-prev').disabled = data.page <= 1;
  $('risk-next').disabled = data.page >= pages;
}

async function refresh() {
  syncUrl();
  try {
    const data = await getJson(`/api/at-risk?${query({ page: state.page, pageSize: PAGE_SIZE })}`);
    if (state.horizon === null) $('risk-horizon').value = String(data.horizon);
    $('risk-unit-name').textContent = unitName(state.agency);
    $('risk-as-of').textContent = data.asOf ? `${t['risk.asOf']} ${cityTime(data.asOf)}` : '';
    renderCounts(data);
    renderUnits(data);
    renderList(data);
    document.body.dataset.riskLoaded = `${state.agency}:${state.state}:${data.horizon}:${data.page}`;
  } catch (err) {
    replace($('risk-list'), el('p', { class: 'error', text: `${t.loadError}: ${err.message}` }));
  }
}

async function start() {
  try {
    const filters = await getJson('/api/filters');
    names = new Map(filters.agencies.map((a) => [a.code, a.name]));
  } catch {
    // Without names the page shows unit codes.
  }
  renderFilters();
  if (state.horizon !== null) $('risk-horizon').value = String(state.horizon);
  replace($('risk-outlook-kind'), ...outlookKinds(state.outlook));
  $('risk-agency').addEventListener('change', (event) => {
    Object.assign(state, { agency: event.target.value, page: 1 });
    void refresh();
    void refreshOutlook(state.agency, state.outlook);
  });
  $('risk-outlook-kind').addEventListener('change', (event) => {
    state.outlook = event.target.value;
    syncUrl();
    void refreshOutlook(state.agency, state.outlook);
  });
  $('risk-state').addEventListener('change', (event) => {
    Object.assign(state, { state: event.target.value, page: 1 });
    void refresh();
  });
  $('risk-horizon').addEventListener('change', (event) => {
    const h = Number.parseInt(event.target.value, 10);
    Object.assign(state, { horizon: Number.isInteger(h) && h >= 0 && h <= 60 ? h : null, page: 1 });
    void refresh();
  });
  $('risk-prev').addEventListener('click', () => {
    state.page = Math.max(1, state.page - 1);
    void refresh();
  });
  $('risk-next').addEventListener('click', () => {
    state.page += 1;
    void refresh();
  });
  await Promise.all([refresh(), refreshOutlook(state.agency, state.outlook)]);
  setInterval(refresh, REFRESH_MS);
  setInterval(() => refreshOutlook(state.agency, state.outlook), REFRESH_MS);
}

void start();
