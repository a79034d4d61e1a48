/**
 * Generated parts of README.md: text between `<!-- generated:NAME … -->` and `<!-- /generated:NAME -->`
 * is written by a script (scripts/error-codes-table.ts, scripts/options-tables.ts) and checked by a unit
 * test, so that it cannot drift from the code. Everything outside the markers is hand-written.
 */

function markers(name: string): { start: RegExp; end: string } {
  return { start: new RegExp(`<!-- generated:${name}(?: [^>]*)? -->`), end: `<!-- /generated:${name} -->` };
}

/** The generated part called `name` (trimmed), or `undefined` when `readme` has no such markers. */
export function readSection(readme: string, name: string): string | undefined {
  const { start, end } = markers(name);
  const m = start.exec(readme);
  if (m === null) return undefined;
  const from = m.index + m[0].length;
  const to = readme.indexOf(end, from);
  return to < 0 ? undefined : readme.slice(from, to).trim();
}

/**
 * `readme` with the generated part called `name` replaced by `content`.
 *
 * @throws Error when the markers are missing.
 */
export function writeSection(readme: string, name: string, content: string): string {
  const { start, end } = markers(name);
  const m = start.exec(readme);
  const to = m === null ? -1 : readme.indexOf(end, m.index + m[0].length);
  if (m === null || to < 0) throw new Error(`README.md has no <!-- generated:${name} --> … ${end} markers`);
  return `${readme.slice(0, m.index + m[0].length)}\n${content}\n${readme.slice(to)}`;
}
