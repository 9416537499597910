import { type Lang, LOCALES, MESSAGES, type MessageKey } from './i18n.ts';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON inside a <script> element must not be able to close it. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * Fills the page template on the server: static texts in the reader's language (no flash of empty
 * headings, readable without JavaScript) and the messages the script needs for what it draws.
 * Throws on an unknown key so a typo in the template fails the tests instead of showing `{{t:…}}`.
 */
export function renderPage(template: string, lang: Lang): string {
  const messages = MESSAGES[lang];
  const boot = { lang, locale: LOCALES[lang], messages };
  return template
    .replace('<html lang="vi">', `<html lang="${lang}">`)
    .replace(/\{\{t:([\w.]+)\}\}/g, (_, key: string) => {
      if (!(key in messages)) throw new Error(`unknown message key in page template: ${key}`);
      return escapeHtml(messages[key as MessageKey]);
    })
    .replace('"{{boot}}"', scriptSafeJson(boot));
}

/** Bull Board's page links Google Fonts; the monitor must not reach outside, so the links go. */
export function withoutFontLinks(html: string): string {
  return html.replace(/<link\b[^>]*fonts\.(googleapis|gstatic)\.com[^>]*>/g, '');
}
