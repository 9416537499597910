import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { resolveLang } from '../i18n.ts';
import { renderPage } from '../render-page.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** Only this server: no CDN, no inline script (the boot JSON is data, not script). */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'self'";

interface Asset {
  body: Buffer;
  type: string;
}

/**
 * Everything the page needs comes from this server, Chart.js included (read from node_modules): the
 * dashboard works on an operations network with no way out.
 */
async function loadAssets(): Promise<Map<string, Asset>> {
  const chartDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  const files: [string, string, string][] = [
    ['/assets/app.js', join(PUBLIC_DIR, 'app.js'), 'text/javascript; charset=utf-8'],
    ['/assets/render.js', join(PUBLIC_DIR, 'render.js'), 'text/javascript; charset=utf-8'],
    ['/assets/shared.js', join(PUBLIC_DIR, 'shared.js'), 'text/javascript; charset=utf-8'],
    ['/assets/scorecard.js', join(PUBLIC_DIR, 'scorecard.js'), 'text/javascript; charset=utf-8'],
    ['/assets/pipeline.js', join(PUBLIC_DIR, 'pipeline.js'), 'text/javascript; charset=utf-8'],
    ['/assets/actions.js', join(PUBLIC_DIR, 'actions.js'), 'text/javascript; charset=utf-8'],
    ['/assets/at-risk.js', join(PUBLIC_DIR, 'at-risk.js'), 'text/javascript; charset=utf-8'],
    ['/assets/at-risk-outlook.js', join(PUBLIC_DIR, 'at-risk-outlook.js'), 'text/javascript; charset=utf-8'],
    ['/assets/app.css', join(PUBLIC_DIR, 'app.css'), 'text/css; charset=utf-8'],
    ['/assets/scorecard.css', join(PUBLIC_DIR, 'scorecard.css'), 'text/css; charset=utf-8'],
    ['/assets/at-risk.css', join(PUBLIC_DIR, 'at-risk.css'), 'text/css; charset=utf-8'],
    ['/assets/login.css', join(PUBLIC_DIR, 'login.css'), 'text/css; charset=utf-8'],
    ['/assets/vendor/chart.umd.min.js', join(chartDir, 'chart.umd.min.js'), 'text/javascript; charset=utf-8'],
  ];
  const assets = new Map<string, Asset>();
  for (const [path, file, type] of files) assets.set(path, { body: await readFile(file), type });
  return assets;
}

export async function registerDashboardRoutes(app: FastifyInstance): Promise<void> {
  const [assets, dashboard, atRisk] = await Promise.all([
    loadAssets(),
    readFile(join(PUBLIC_DIR, 'index.html'), 'utf8'),
    readFile(join(PUBLIC_DIR, 'at-risk.html'), 'utf8'),
  ]);
  // Rendered once per language at start: the pages hold no data, their scripts fetch it.
  for (const [path, template] of [
    ['/', dashboard],
    ['/at-risk', atRisk],
  ] as const) {
    const pages = { vi: renderPage(template, 'vi'), en: renderPage(template, 'en') };
    app.get(path, async (request, reply) => {
      const html = pages[resolveLang((request.query as { lang?: unknown }).lang)];
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', DASHBOARD_CSP)
        .send(html);
    });
  }

  // Code and styles hold no data; the login page needs them before anyone has a credential.
  for (const [path, asset] of assets) {
    app.get(path, { config: { access: 'public' } }, async (_request, reply) =>
      reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body),
    );
  }
}
