/**
 * A `node --test` reporter that writes one JSON line per skipped test: `{ file, name, reason }`.
 * `scripts/run-tests.ts` adds it next to the spec reporter and checks the lines with
 * `scripts/skip-policy.ts` (with CI=true a skipped test fails the run). Plain JavaScript: node loads
 * reporters before the tsx hooks apply to them.
 *
 * @param {AsyncIterable<{ type: string, data: { name: string, file?: string, skip?: string | boolean } }>} source
 */
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, name, file } = event.data;
    if (skip === undefined || skip === false) continue;
    const reason = typeof skip === 'string' ? skip : '';
    yield `${JSON.stringify({ file: file ?? '', name, reason })}\n`;
  }
}
