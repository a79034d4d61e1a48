/**
 * The throughput-by-concurrency chart (send scenario), hand-written SVG: one panel per target, one line
 * per client, categorical x axis (the concurrency levels), linear y axis from 0.
 */
import { CLIENTS, type ClientName } from '../adapters/types.js';
import type { Target } from '../lib/spec.js';
import { findRow, type Row } from './aggregate.js';

const COLORS: Record<ClientName, string> = {
  'rocketmq-ts': '#1f6fb4',
  official: '#d1495b',
  'raw-grpc': '#6c757d',
};
const DASH: Record<ClientName, string> = { 'rocketmq-ts': '', official: '', 'raw-grpc': '6 4' };
const TITLES: Record<Target, string> = {
  fake: 'fake broker (client cost; client and fake on separate cores)',
  broker: 'real RocketMQ 5.4 broker (proxy-bound)',
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v: number): string =>
  v >= 10_000 ? `${(v / 1000).toFixed(0)}k` : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0);

function panel(
  rows: readonly Row[],
  target: Target,
  levels: readonly number[],
  x0: number,
  width: number,
): string {
  const top = 90;
  const height = 260;
  const left = x0 + 60;
  const plotW = width - 80;
  const values = rows
    .filter((r) => r.target === target && r.scenario === 'send')
    .map((r) => r.msgsPerSec ?? 0);
  const yMax = niceMax(Math.max(0, ...values) * 1.05);
  const xAt = (i: number): number =>
    left + (levels.length === 1 ? plotW / 2 : (i * plotW) / (levels.length - 1));
  const yAt = (v: number): number => top + height - (v / yMax) * height;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + width / 2}" y="${top - 22}" text-anchor="middle" font-size="13" font-weight="bold">${esc(TITLES[target])}</text>`,
  );
  for (let g = 0; g <= 5; g++) {
    const v = (yMax * g) / 5;
    const y = yAt(v);
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end" font-size="11" fill="#555">${fmt(v)}</text>`,
    );
  }
  levels.forEach((c, i) => {
    parts.push(
      `<text x="${xAt(i)}" y="${top + height + 18}" text-anchor="middle" font-size="11" fill="#555">${c}</text>`,
    );
  });
  parts.push(
    `<text x="${left + plotW / 2}" y="${top + height + 36}" text-anchor="middle" font-size="11" fill="#333">concurrent sends in flight</text>`,
  );
  parts.push(
    `<text x="${x0 + 14}" y="${top + height / 2}" text-anchor="middle" font-size="11" fill="#333" transform="rotate(-90 ${x0 + 14} ${top + height / 2})">messages / s</text>`,
  );
  for (const client of CLIENTS) {
    const points = levels
      .map((c, i) => ({ i, v: findRow(rows, target, 'send', `c=${c}`, client)?.msgsPerSec }))
      .filter((p): p is { i: number; v: number } => p.v !== undefined && Number.isFinite(p.v));
    if (points.length === 0) continue;
    const d = points
      .map((p, k) => `${k === 0 ? 'M' : 'L'}${xAt(p.i).toFixed(1)},${yAt(p.v).toFixed(1)}`)
      .join(' ');
    const dash = DASH[client] === '' ? '' : ` stroke-dasharray="${DASH[client]}"`;
    parts.push(`<path d="${d}" fill="none" stroke="${COLORS[client]}" stroke-width="2.5"${dash}/>`);
    for (const p of points) {
      parts.push(
        `<circle cx="${xAt(p.i).toFixed(1)}" cy="${yAt(p.v).toFixed(1)}" r="3.5" fill="${COLORS[client]}"><title>${esc(`${client}: ${p.v.toFixed(0)} msgs/s at c=${levels[p.i]}`)}</title></circle>`,
      );
    }
  }
  return parts.join('\n');
}

/** The chart, or undefined when no send row exists. */
export function throughputSvg(rows: readonly Row[], subtitle: string): string | undefined {
  const targets = (['fake', 'broker'] as const).filter((t) =>
    rows.some((r) => r.target === t && r.scenario === 'send' && r.ok > 0),
  );
  if (targets.length === 0) return undefined;
  const levels = [
    ...new Set(
      rows
        .filter((r) => r.scenario === 'send')
        .map((r) => Number(r.variant.replace('c=', '')))
        .filter(Number.isFinite),
    ),
  ].sort((a, b) => a - b);
  const panelW = targets.length === 1 ? 740 : 480;
  const width = panelW * targets.length + 20;
  const height = 450;
  const legend = CLIENTS.map((c, i) => {
    const x = 20 + i * 170;
    const dash = DASH[c] === '' ? '' : ` stroke-dasharray="${DASH[c]}"`;
    return `<line x1="${x}" y1="${height - 22}" x2="${x + 28}" y2="${height - 22}" stroke="${COLORS[c]}" stroke-width="2.5"${dash}/><text x="${x + 34}" y="${height - 18}" font-size="12">${esc(c)}</text>`;
  }).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Send throughput by concurrency (1 KiB bodies, median msgs/s)</text>`,
    `<text x="${width / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    ...targets.map((t, i) => panel(rows, t, levels, 10 + i * panelW, panelW)),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
