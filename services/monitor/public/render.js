// DOM helpers for the dashboard. Text always goes through textContent: values come from input data.

/** @param {string} tag @param {Record<string, string|number|boolean|null|undefined>} [attrs] @param {...(Node|string|null|undefined)} children */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/**
 * @param {{ key: string, label: string, align?: 'right', render?: (row: any) => Node|string }[]} columns
 * @param {any[]} rows
 * @param {{ empty: string, testid?: string }} options
 */
export function table(columns, rows, options) {
  if (rows.length === 0) return el('p', { class: 'empty', text: options.empty });
  const head = el(
    'tr',
    {},
    ...columns.map((c) => el('th', { class: c.align === 'right' ? 'num' : null, text: c.label })),
  );
  const body = rows.map((row) =>
    el(
      'tr',
      { 'data-testid': options.testid ? `${options.testid}-row` : null },
      ...columns.map((c) => {
        const content = c.render ? c.render(row) : String(row[c.key] ?? '—');
        return el('td', { class: c.align === 'right' ? 'num' : null, 'data-col': c.key }, content);
      }),
    ),
  );
  return el(
    'table',
    { 'data-testid': options.testid ?? null },
    el('thead', {}, head),
    el('tbody', {}, ...body),
  );
}

export function replace(container, ...children) {
  container.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

/** @param {string} locale */
export function numberFormat(locale, maximumFractionDigits = 0) {
  const format = new Intl.NumberFormat(locale, { maximumFractionDigits });
  return (/** @type {number|null} */ value) =>
    value === null || !Number.isFinite(value) ? '—' : format.format(value);
}

/** Seconds as "42 s", "7 min", "3 h 5 min", "2 d". */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

export function badge(status, messages) {
  const text = {
    met: messages.met,
    not_met: messages.notMet,
    no_target: messages.noTarget,
    no_data: messages.noData,
  }[status];
  return el('span', { class: `badge badge-${status}`, 'data-testid': 'status-badge', text });
}

/** A horizontal bar showing a 0..1 value, with the target as a marker. */
export function meter(value, target, status) {
  const fill = el('div', { class: `meter-fill meter-${status}` });
  fill.style.width = `${Math.round(Math.min(1, Math.max(0, value ?? 0)) * 1000) / 10}%`;
  const bar = el('div', { class: 'meter' }, fill);
  if (target !== null && target !== undefined) {
    const mark = el('div', { class: 'meter-target' });
    mark.style.left = `${Math.min(100, target * 100)}%`;
    bar.append(mark);
  }
  return bar;
}
