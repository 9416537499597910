import { describe, expect, it } from 'vitest';
import { MESSAGES, resolveLang } from '../src/i18n.ts';
import { escapeHtml, renderPage, scriptSafeJson, withoutFontLinks } from '../src/render-page.ts';

const TEMPLATE =
  '<html lang="vi"><title>{{t:title}}</title><script type="application/json">"{{boot}}"</script><h2>{{t:kpis}}</h2></html>';

describe('language', () => {
  it('is Vietnamese unless English is asked for', () => {
    expect(resolveLang(undefined)).toBe('vi');
    expect(resolveLang('fr')).toBe('vi');
    expect(resolveLang(['en'])).toBe('vi');
    expect(resolveLang('en')).toBe('en');
  });

  it('has a non-empty text for every key in both languages', () => {
    expect(Object.keys(MESSAGES.en).sort()).toEqual(Object.keys(MESSAGES.vi).sort());
    for (const lang of ['vi', 'en'] as const) {
      for (const [key, text] of Object.entries(MESSAGES[lang])) expect(text, `${lang}.${key}`).not.toBe('');
    }
  });
});

describe('renderPage', () => {
  it('fills texts, the html lang and the boot data', () => {
    const html = renderPage(TEMPLATE, 'en');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h2>Programme KPIs</h2>');
    const boot = JSON.parse(html.match(/application\/json">(.*?)<\/script>/)![1]!);
    expect(boot).toMatchObject({ lang: 'en', locale: 'en-GB', messages: { title: MESSAGES.en.title } });
    expect(renderPage(TEMPLATE, 'vi')).toContain('<h2>Chỉ tiêu chương trình</h2>');
  });

  it('refuses a template key that has no message', () => {
    expect(() => renderPage('<p>{{t:nope}}</p>', 'vi')).toThrow('nope');
  });

  it('escapes HTML in texts and keeps JSON from closing its script element', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    const json = scriptSafeJson({ s: '</script><script>alert(1)</script>' });
    expect(json).not.toContain('</script>');
    expect(JSON.parse(json)).toEqual({ s: '</script><script>alert(1)</script>' });
  });
});

describe('withoutFontLinks', () => {
  it('drops only the Google Fonts links of a page', () => {
    const html =
      '<head><link rel="preconnect" href="https://fonts.gstatic.com">' +
      '<link href="https://fonts.googleapis.com/css2?family=IBM+Plex+Sans" rel="stylesheet">' +
      '<link rel="stylesheet" href="/queues/static/main.css"></head>';
    expect(withoutFontLinks(html)).toBe(
      '<head><link rel="stylesheet" href="/queues/static/main.css"></head>',
    );
  });
});
