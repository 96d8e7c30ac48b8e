import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm run build` bundles the dashboard (scripts/build-dashboard.mjs): dist/dashboard, beside dist/apps. */
export const DASHBOARD_DIR = join(__dirname, '..', '..', '..', '..', 'dashboard');

/**
 * The page may run its own bundled script and style and call this origin's API, nothing else: no inline
 * script, no framing, no third-party origin, so an injected string in a delivery's response can't run.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(response: Response): void {
  response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'no-referrer');
  response.setHeader('cache-control', 'no-cache');
}

/**
 * The dashboard SPA at /dashboard: static files, and index.html for any other path under it (routing
 * is by hash, so that is only a fallback). It needs no API key: the page asks for one and sends it
 * with each API call, which the API's guards check as usual.
 */
export function serveDashboard(app: INestApplication, dir = DASHBOARD_DIR): void {
  if (!existsSync(join(dir, 'index.html'))) return;
  (app as NestExpressApplication).useStaticAssets(dir, {
    prefix: '/dashboard',
    index: 'index.html',
    setHeaders: securityHeaders,
  });
  app.use('/dashboard', (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    securityHeaders(response);
    response.sendFile(join(dir, 'index.html'));
  });
}
