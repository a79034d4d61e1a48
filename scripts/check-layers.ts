/**
 * Enforces the import direction between the layers of src/:
 *   internal → errors → model/observability → rpc → protocol → admin → producer/consumer → managed (→ cli)
 * Each layer may import only from itself and from layers below it. `model/` holds the plain
 * public types (MessageInit, MessageView, SendReceipt); it imports only internal/ and errors,
 * so the protocol converters can produce model types without model ever seeing gen types. `src/gen` (generated
 * protobuf code) may be imported only by rpc/, the protocol converters and the in-process
 * broker under testing/. `admin/` (the remoting admin client, entry `rocketmq-ts/admin`) may be
 * imported only by admin/, testing/ and cli/, so the core entry stays gRPC-only. Exits non-zero and
 * lists every violation.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** Rank of each layer; a file may import files of equal or lower rank. */
const RANK: Record<string, number> = {
  internal: 0,
  errors: 1,
  version: 1,
  observability: 2,
  model: 2,
  rpc: 3,
  protocol: 4,
  admin: 5,
  producer: 6,
  consumer: 6,
  managed: 7,
  testing: 8,
  index: 9,
  cli: 10,
};

/** Files (relative to src/, without extension) allowed to import src/gen. */
const GEN_ALLOWED = [
  /^rpc\//,
  /^protocol\/(convert|codec|telemetry)/,
  /^protocol\/.*-convert$/,
  /^testing\//,
];

/** producer and consumer are siblings: neither imports the other. */
const SIBLINGS: Array<[string, string]> = [
  ['producer', 'consumer'],
  ['model', 'observability'],
];

/** Layers whose files may import admin/ (the core entry must not reach it). */
const ADMIN_IMPORTERS = new Set(['admin', 'testing', 'cli']);

function layerOf(rel: string): string {
  const first = rel.split('/')[0] ?? '';
  return first.replace(/\.(ts|js)$/, '');
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function checkLayers(srcDir = SRC): string[] {
  const problems: string[] = [];
  for (const file of walk(srcDir)) {
    const rel = relative(srcDir, file).replaceAll('\\', '/');
    const from = layerOf(rel);
    if (from === 'gen') continue;
    const fromRank = RANK[from];
    if (fromRank === undefined) {
      problems.push(`${rel}: unknown layer "${from}" (add it to scripts/check-layers.ts)`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      if (!spec?.startsWith('.')) continue;
      const target = relative(srcDir, resolve(dirname(file), spec)).replaceAll('\\', '/');
      if (target.startsWith('..')) {
        problems.push(`${rel}: imports outside src/ (${spec})`);
        continue;
      }
      const to = layerOf(target);
      if (to === 'gen') {
        const stem = rel.replace(/\.ts$/, '');
        if (!GEN_ALLOWED.some((re) => re.test(stem)))
          problems.push(`${rel}: may not import src/gen (${spec})`);
        continue;
      }
      if (to === 'admin' && !ADMIN_IMPORTERS.has(from)) {
        problems.push(`${rel}: only admin/, testing/ and cli/ may import admin/ (${spec})`);
        continue;
      }
      const toRank = RANK[to];
      if (toRank === undefined) {
        problems.push(`${rel}: imports unknown layer "${to}" (${spec})`);
      } else if (toRank > fromRank) {
        problems.push(`${rel}: layer "${from}" may not import "${to}" (${spec})`);
      } else if (SIBLINGS.some(([a, b]) => (from === a && to === b) || (from === b && to === a))) {
        problems.push(`${rel}: "${from}" and "${to}" are siblings and may not import each other (${spec})`);
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = checkLayers();
  if (problems.length > 0) {
    console.error(`Layer check failed (${problems.length}):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('Layer check passed.');
}
