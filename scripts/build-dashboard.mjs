#!/usr/bin/env node
// Bundles the dashboard SPA (apps/dashboard-ui) into dist/dashboard, which the producer serves at /dashboard.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './stack/config.mjs';

const source = join(repoRoot, 'apps/dashboard-ui');
const out = join(repoRoot, 'dist/dashboard');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(source, 'src/main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
for (const file of ['index.html', 'styles.css']) copyFileSync(join(source, file), join(out, file));
