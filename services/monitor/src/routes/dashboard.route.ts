import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { resolveLang } from '../i18n.ts';
import { renderPage } from '../render-page.ts';

// Beside the sources (services/monitor/src/routes/), or from the image's bundle (dist/monitor.js), where the
// Dockerfile copies the files to services/monitor/public: one relative path cannot name both.
const PUBLIC_DIRS = ['../../public', '../services/monitor/public'].map((path) =>
  fileURLToPath(new URL(path, import.meta.url)),
);

function publicDir(): string {
  const dir = PUBLIC_DIRS.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new Error(`the dashboard's files are in none of ${PUBLIC_DIRS.join(', ')}`);
  return dir;
}

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
async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const chartDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  const files: [string, string, string][] = [
    ['/assets/app.js', join(dir, 'app.js'), 'text/javascript; charset=utf-8'],
    ['/assets/render.js', join(dir, 'render.js'), 'text/javascript; charset=utf-8'],
    ['/assets/shared.js', join(dir, 'shared.js'), 'text/javascript; charset=utf-8'],
    ['/assets/scorecard.js', join(dir, 'scorecard.js'), 'text/javascript; charset=utf-8'],
    ['/assets/pipeline.js', join(dir, 'pipeline.js'), 'text/javascript; charset=utf-8'],
    ['/assets/actions.js', join(dir, 'actions.js'), 'text/javascript; charset=utf-8'],
    ['/assets/at-risk.js', join(dir, 'at-risk.js'), 'text/javascript; charset=utf-8'],
    ['/assets/at-risk-outlook.js', join(dir, 'at-risk-outlook.js'), 'text/javascript; charset=utf-8'],
    ['/assets/app.css', join(dir, 'app.css'), 'text/css; charset=utf-8'],
    ['/assets/scorecard.css', join(dir, 'scorecard.css'), 'text/css; charset=utf-8'],
    ['/assets/at-risk.css', join(dir, 'at-risk.css'), 'text/css; charset=utf-8'],
    ['/assets/login.css', join(dir, 'login.css'), 'text/css; charset=utf-8'],
    ['/assets/vendor/chart.umd.min.js', join(chartDir, 'chart.umd.min.js'), 'text/javascript; charset=utf-8'],
  ];
  const assets = new Map<string, Asset>();
  for (const [path, file, type] of files) assets.set(path, { body: await readFile(file), type });
  return assets;
}

export async function registerDashboardRoutes(app: FastifyInstance): Promise<void> {
  const dir = publicDir();
  const [assets, dashboard, atRisk] = await Promise.all([
    loadAssets(dir),
    readFile(join(dir, 'index.html'), 'utf8'),
    readFile(join(dir, 'at-risk.html'), 'utf8'),
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
