/**
 * `defaultLogger()`: what a client logs to when no logger is injected. Silent, unless the process runs
 * with `NODE_DEBUG` naming `rocketmq`; then every line goes to the `rocketmq` debuglog section.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultLogger, noopLogger } from '../../../src/observability/logger.js';

function section(enabled: boolean) {
  const lines: string[] = [];
  const fn = Object.assign((fmt: string, ...args: unknown[]) => lines.push([fmt, ...args].join('|')), {
    enabled,
  });
  return { fn, lines };
}

describe('defaultLogger', () => {
  test('is the no-op logger when the rocketmq section is disabled', () => {
    const s = section(false);
    const logger = defaultLogger(s.fn);
    assert.equal(logger, noopLogger);
    logger.error('nothing', { a: 1 });
    assert.deepEqual(s.lines, []);
  });

  test('writes every level to the section when it is enabled', () => {
    const s = section(true);
    const logger = defaultLogger(s.fn);
    logger.debug('d');
    logger.info('i', { n: 1 });
    logger.warn('w');
    logger.error('e', { secretKey: 'hidden' });
    assert.equal(s.lines.length, 4);
    assert.match(s.lines[0]!, /\|DEBUG\|d\|$/);
    assert.match(s.lines[1]!, /\|INFO\|i\| \{ n: 1 \}$/);
    assert.match(s.lines[3]!, /\|ERROR\|e\| \{ secretKey: '\[REDACTED\]' \}$/);
  });

  test('without an injected section it follows the process NODE_DEBUG (not set in this test run)', () => {
    if (/\brocketmq\b/i.test(process.env.NODE_DEBUG ?? '')) return;
    assert.equal(defaultLogger(), noopLogger);
  });
});
