/**
 * Layering rules checked by `npm run lint` (dependency-cruiser). Services depend on packages; a service's
 * code never imports another service (the all-in-one excepted: it is the composition root of every
 * service in one process); packages never import services or tools. Tests may wire several services
 * together (contract and end-to-end tests), so the service rule covers `src/` only.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-service-imports-another-service',
      comment: 'Shared code goes in packages/*; only services/all-in-one composes services (embedded mode).',
      severity: 'error',
      from: { path: '^services/([^/]+)/src/', pathNot: '^services/all-in-one/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'no-package-imports-a-service-or-tool',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(services|tools)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'default'] },
  },
};
