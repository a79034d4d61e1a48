/**
 * The public surface of `rocketmq-ts/testing` (entry src/testing/index.ts):
 *
 * - the runtime export list and the full (runtime + type) export list are pinned, so adding or removing a
 *   public symbol is a deliberate change here;
 * - no exported declaration reaches a generated protobuf type, by the
 *   compiler-API walk of test/helpers/public-api.ts. A probe module that does leak gen types is checked
 *   alongside, so the walk is shown to be able to fail;
 * - every export has a doc comment.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type ts from 'typescript';
import * as testing from '../../../src/testing/index.js';
import { createApiProgram, inspectModule, ROOT, undocumentedExports } from '../../helpers/public-api.js';

const ENTRY = join(ROOT, 'src', 'testing', 'index.ts');
/** A module that exists only in memory and deliberately exposes generated types. */
const PROBE = join(ROOT, 'src', 'testing', '__gen-leak-probe__.ts');
const PROBE_SOURCE = `
import type { Code, Settings } from '../gen/apache/rocketmq/v2/definition_pb.js';
export type { Settings } from '../gen/apache/rocketmq/v2/definition_pb.js';
export interface Failure { readonly code?: Code | number }
interface Inner { readonly codes: Array<Code> }
export interface Nested { readonly inner: { readonly list: ReadonlyArray<Inner> } }
export declare function replies(): Promise<Array<import('../gen/apache/rocketmq/v2/service_pb.js').TelemetryCommand>>;
export declare function take(cb: (s: Settings) => void): void;
export declare class Hidden {
  private constructor(code: Code);
  #secret: Code;
  private internal: Settings;
  visible(): number;
}
export type Clean = { readonly n: number; readonly s: readonly string[] };
`;

describe('rocketmq-ts/testing public API', () => {
  let program: ts.Program;
  before(() => {
    program = createApiProgram([ENTRY], { [PROBE]: PROBE_SOURCE });
  });

  test('runtime exports are exactly the curated list', () => {
    assert.deepEqual(Object.keys(testing).sort(), ['InProcessBroker', 'ManualTime', 'RPC_NAMES']);
  });

  test('all exports (runtime and type-only) are exactly the curated list', () => {
    assert.deepEqual(inspectModule(program, ENTRY).exports, [
      'AclCredential',
      'BackoffPolicySummary',
      'BrokerCommand',
      'BrokerFaults',
      'BrokerStats',
      'ClientSettingsSummary',
      'ClientTypeName',
      'ConsumerGroupOptions',
      'InProcessAdmin',
      'InProcessBroker',
      'InProcessBrokerOptions',
      'InjectedFailure',
      'MalformedKind',
      'ManualTime',
      'PlainMessage',
      'PlainMessageType',
      'RPC_NAMES',
      'ReplyStatus',
      'RetryPolicyConfig',
      'RpcName',
      'SubscriptionSummary',
      'TelemetryReply',
      'TelemetryReplyType',
      'TopicMessageType',
      'TopicOptions',
      'UserAgentSummary',
    ]);
  });

  test('no exported declaration reaches a generated (src/gen) type', () => {
    assert.deepEqual(inspectModule(program, ENTRY).leaks, []);
  });

  test('the check detects gen types (probe module), and skips what declaration emit omits', () => {
    const { leaks } = inspectModule(program, PROBE);
    const leaked = (prefix: string, genName: string): boolean =>
      leaks.some((l) => l.startsWith(prefix) && l.includes(`: ${genName} (src/gen/`));
    const report = `leaks found:\n${leaks.join('\n')}`;
    assert.ok(leaked('Settings', 'Settings'), report); // direct re-export
    assert.ok(leaked('Failure', 'Code'), report); // `Code | number`: only visible as written
    assert.ok(leaked('Nested', 'Code'), report); // through a nested array of a non-exported interface
    assert.ok(leaked('replies', 'TelemetryCommand') || leaked('typeof replies', 'TelemetryCommand'), report);
    assert.ok(leaked('take', 'Settings') || leaked('typeof take', 'Settings'), report); // callback parameter
    assert.ok(!leaks.some((l) => /Hidden|Clean/.test(l)), report); // private members / plain types
  });

  test('every export has a doc comment', () => {
    assert.deepEqual(undocumentedExports(program, ENTRY), []);
  });

  test('the entry source has no direct gen re-export', () => {
    assert.ok(existsSync(ENTRY));
    assert.doesNotMatch(readFileSync(ENTRY, 'utf8'), /from\s+['"][^'"]*\/gen\//);
  });
});
