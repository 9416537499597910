// What every part of the page shares: the server-rendered boot data, formatters and fetching.
import { numberFormat } from './render.js';

export const boot = JSON.parse(document.getElementById('boot').textContent);
export const t = boot.messages;
export const fmt = numberFormat(boot.locale);
export const fmt1 = numberFormat(boot.locale, 1);

export const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);

export async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

/** ClickHouse DateTime64 text in UTC, shown in the reader's locale and time zone. */
export function utcText(text) {
  return new Date(`${text.replace(' ', 'T')}Z`).toLocaleString(boot.locale);
}
