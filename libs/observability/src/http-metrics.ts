import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';

type RoutedRequest = IncomingMessage & { route?: { path?: string }; baseUrl?: string };

/**
 * Middleware counting HTTP responses as `hookstream_http_requests_total{method,route,status}`: the
 * route pattern (never the raw path, which carries ids) and the status class (`2xx`, `4xx`, …).
 * It watches the response, so answers from guards, pipes and filters count too.
 */
export function httpMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'hookstream_http_requests_total',
    help: 'HTTP responses by method, route pattern and status class',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      requests.inc({ method: req.method ?? 'unknown', route, status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  };
}
