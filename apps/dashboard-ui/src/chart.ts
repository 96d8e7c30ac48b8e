import type { StatsBucket } from './api';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 160;
const PAD = { left: 36, right: 8, top: 8, bottom: 22 };

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/** Stacked bars per bucket: failures (failed + exhausted) over the other deliveries, as inline SVG. */
export function deliveriesChart(buckets: readonly StatsBucket[]): SVGSVGElement {
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img' });
  const total = buckets.reduce((sum, b) => sum + b.total, 0);
  const failures = buckets.reduce((sum, b) => sum + b.failed + b.exhausted, 0);
  const title = svg('title', {});
  title.textContent = `${total} deliveries, ${failures} failing`;
  root.appendChild(title);
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(1, buckets.length);
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;
  for (const tick of [0, max]) {
    const label = svg('text', { x: PAD.left - 4, y: y(tick) + 4, 'text-anchor': 'end', class: 'axis' });
    label.textContent = String(tick);
    root.append(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick), class: 'grid' }), label);
  }
  buckets.forEach((bucket, i) => {
    const failing = bucket.failed + bucket.exhausted;
    const x = PAD.left + i * slot + slot * 0.1;
    const width = Math.max(1, slot * 0.8);
    if (bucket.total > 0) {
      const bar = svg('rect', { x, y: y(bucket.total), width, height: y(0) - y(bucket.total), class: 'bar-ok' });
      const tip = svg('title', {});
      tip.textContent = `${new Date(bucket.at).toLocaleString()}: ${bucket.total} deliveries, ${failing} failing`;
      bar.appendChild(tip);
      root.appendChild(bar);
    }
    if (failing > 0)
      root.appendChild(svg('rect', { x, y: y(failing), width, height: y(0) - y(failing), class: 'bar-failed' }));
  });
  const step = Math.max(1, Math.ceil(buckets.length / 6));
  buckets.forEach((bucket, i) => {
    if (i % step !== 0) return;
    const label = svg('text', { x: PAD.left + i * slot, y: HEIGHT - 6, class: 'axis' });
    label.textContent = new Date(bucket.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    root.appendChild(label);
  });
  return root;
}
