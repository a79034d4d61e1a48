/**
 * Prints the README's options tables, generated from the option interfaces and their TSDoc (summary and
 * `@defaultValue`, read with the TypeScript parser), so that names and defaults are the code's. Each
 * README part `<!-- generated:NAME -->` holds the own members of one interface (see {@link TABLES});
 * the consumers' shared options (`ConsumerClientOptions`) have their own table.
 *
 * `@internal` members are left out. A member without a TSDoc summary is an error (document it in the
 * code, not here).
 *
 *   npx tsx scripts/options-tables.ts           print the tables
 *   npx tsx scripts/options-tables.ts --write   replace them in README.md
 *
 * test/unit/scripts/options-tables.test.ts fails when README.md is not up to date with the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { writeSection } from './readme-sections.js';

const ROOT = resolve(import.meta.dirname, '..');

/** One generated table: the members of one interface (its own members; none of these extends another). */
interface TableSpec {
  readonly section: string;
  readonly file: string;
  readonly name: string;
}

export const TABLES: readonly TableSpec[] = [
  { section: 'options-producer', file: 'src/producer/options.ts', name: 'ProducerOptions' },
  { section: 'options-consumer', file: 'src/consumer/client-options.ts', name: 'ConsumerClientOptions' },
  {
    section: 'options-simple-consumer',
    file: 'src/consumer/simple-consumer.ts',
    name: 'SimpleConsumerOptions',
  },
  { section: 'options-messages', file: 'src/consumer/simple-consumer.ts', name: 'MessagesOptions' },
  {
    section: 'options-push-consumer',
    file: 'src/consumer/push-consumer-options.ts',
    name: 'PushConsumerOptions',
  },
];

/** One row. */
export interface OptionRow {
  readonly name: string;
  readonly required: boolean;
  readonly defaultValue: string | undefined;
  readonly summary: string;
}

/** `{@link X}` / `{@link X | text}` → `X` / `text`; whitespace collapsed. */
function plain(text: string): string {
  return text
    .replace(
      /\{@link\s+([^}|]+?)\s*(?:\|\s*([^}]+?))?\s*\}/g,
      (_m, target: string, label?: string) => label ?? target,
    )
    .replace(/\s+/g, ' ')
    .trim();
}

function commentText(c: string | ts.NodeArray<ts.JSDocComment> | undefined): string {
  if (c === undefined) return '';
  if (typeof c === 'string') return c;
  return c
    .map((part) => {
      if (!ts.isJSDocLink(part) && !ts.isJSDocLinkCode(part) && !ts.isJSDocLinkPlain(part)) return part.text;
      const label = part.text.replace(/^\s*\|/, '').trim();
      return label || `\`${part.name?.getText() ?? ''}\``;
    })
    .join('');
}

/** The rows of every table, keyed by section (members in declaration order). */
export function optionRows(): Map<string, OptionRow[]> {
  const out = new Map<string, OptionRow[]>();
  const sources = new Map<string, ts.SourceFile>();
  for (const table of TABLES) {
    let source = sources.get(table.file);
    if (source === undefined) {
      const text = readFileSync(resolve(ROOT, table.file), 'utf8');
      source = ts.createSourceFile(table.file, text, ts.ScriptTarget.Latest, true);
      sources.set(table.file, source);
    }
    const decl = source.statements.find(
      (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === table.name,
    );
    if (decl === undefined) throw new Error(`${table.file}: no interface ${table.name}`);
    const rows: OptionRow[] = [];
    for (const member of decl.members) {
      if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) {
        throw new Error(`${table.name}: unexpected member ${member.getText(source)}`);
      }
      const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
      const tags = docs.flatMap((d) => [...(d.tags ?? [])]);
      if (tags.some((t) => t.tagName.text === 'internal')) continue;
      const key = `${table.name}.${member.name.text}`;
      const summary = plain(docs.map((d) => commentText(d.comment)).join(' '));
      if (!summary) throw new Error(`${key} has no TSDoc summary: document it in the code`);
      const def = tags.find((t) => t.tagName.text === 'defaultValue');
      rows.push({
        name: member.name.text,
        required: member.questionToken === undefined,
        defaultValue: def === undefined ? undefined : plain(commentText(def.comment)),
        summary,
      });
    }
    out.set(table.section, rows);
  }
  return out;
}

/** The markdown table of one section. */
export function optionsTable(rows: readonly OptionRow[]): string {
  const cell = (s: string): string => s.replaceAll('|', '\\|');
  return [
    '| option | default | |',
    '|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.name}\` | ${r.required ? '**required**' : cell(r.defaultValue ?? '—')} | ${cell(r.summary)} |`,
    ),
  ].join('\n');
}

/** Section name → table. */
export function optionsTables(): Map<string, string> {
  return new Map([...optionRows()].map(([section, rows]) => [section, optionsTable(rows)]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tables = optionsTables();
  if (process.argv.includes('--write')) {
    const path = resolve(ROOT, 'README.md');
    let readme = readFileSync(path, 'utf8');
    for (const [section, table] of tables) readme = writeSection(readme, section, table);
    writeFileSync(path, readme);
    console.log(`README.md: ${tables.size} options tables written`);
  } else {
    for (const [section, table] of tables) console.log(`<!-- ${section} -->\n${table}\n`);
  }
}
