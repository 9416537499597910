// Operator side of the page: who is signed in (sign-in link or sign-out button) and the audit trail.
import { el, replace, table } from './render.js';
import { $, boot, getJson, t, utcText } from './shared.js';

const LIMIT = 20;

/** Values of the action's route parameters (queue, job, status), the part an operator recognises. */
function targetText(target) {
  if (!target || typeof target !== 'object') return String(target ?? '');
  return Object.values(target).join(' / ');
}

function renderActions(actions) {
  replace(
    $('operator-actions'),
    table(
      [
        { key: 'startedAt', label: t.time, render: (a) => utcText(a.startedAt) },
        { key: 'action', label: t['actions.action'], render: (a) => el('code', { text: a.action }) },
        { key: 'target', label: t['actions.target'], render: (a) => targetText(a.target) },
        { key: 'credentialId', label: t['actions.credential'] },
        {
          key: 'remoteAddress',
          label: t['actions.address'],
          render: (a) => el('code', { text: a.remoteAddress }),
        },
        {
          key: 'outcome',
          label: t['actions.result'],
          render: (a) =>
            el('span', {
              class: `badge ${a.outcome === 'ok' ? 'badge-met' : 'badge-not_met'}`,
              title: `HTTP ${a.status}`,
              'data-outcome': a.outcome,
              text: t[`actions.outcome.${a.outcome}`] ?? a.outcome,
            }),
        },
      ],
      actions,
      { empty: t['actions.none'], testid: 'actions-table' },
    ),
  );
  for (const [i, row] of document.querySelectorAll('[data-testid="actions-table-row"]').entries()) {
    row.dataset.action = actions[i].action;
    row.dataset.target = targetText(actions[i].target);
  }
}

export async function refreshActions() {
  try {
    renderActions((await getJson(`/api/operator-actions?limit=${LIMIT}`)).actions);
  } catch (err) {
    replace($('operator-actions'), el('p', { class: 'error', text: `${t.loadError}: ${err.message}` }));
  }
}

/** Signed in: the credential and a sign-out button (a POST form: no GET changes anything). Else a sign-in link. */
export async function showSession() {
  const here = `${location.pathname}${location.search}`;
  const lang = boot.lang === 'en' ? '&lang=en' : '';
  let session = { role: null };
  try {
    session = await getJson('/api/session');
  } catch {
    // Shown as signed out; the pages themselves still answer for what needs a credential.
  }
  if (!session.role || session.via !== 'session') {
    replace(
      $('session'),
      el('a', {
        class: 'toplink',
        href: `/login?next=${encodeURIComponent(here)}${lang}`,
        'data-testid': 'login-link',
        text: t['login.link'],
      }),
    );
    return;
  }
  replace(
    $('session'),
    el(
      'form',
      { method: 'post', action: '/logout', class: 'session-form' },
      el('span', { 'data-testid': 'session-credential', text: session.credentialId }),
      el('input', { type: 'hidden', name: 'lang', value: boot.lang }),
      el('button', { type: 'submit', class: 'toplink', 'data-testid': 'logout', text: t['login.logout'] }),
    ),
  );
}
