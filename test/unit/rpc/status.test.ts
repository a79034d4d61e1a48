import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStatus, isOk, statusError } from '../../../src/rpc/status.js';

test('OK passes, non-OK throws with broker code and request id', () => {
  assert.equal(statusError({ code: 20000, message: 'OK' }), undefined);
  assert.equal(isOk({ code: 20000, message: '' }), true);
  assert.doesNotThrow(() => checkStatus({ code: 20000, message: 'OK' }));
  assert.throws(
    () => checkStatus({ code: 40100, message: 'bad signature' }, { requestId: 'r-1' }),
    (e: unknown) => {
      const err = e as {
        code: string;
        brokerCode: number;
        requestId: string;
        retriable: boolean;
        message: string;
      };
      assert.equal(err.code, 'UNAUTHORIZED');
      assert.equal(err.brokerCode, 40100);
      assert.equal(err.requestId, 'r-1');
      assert.equal(err.retriable, false);
      assert.equal(err.message, 'bad signature');
      return true;
    },
  );
});

test('a missing status is an INTERNAL error', () => {
  const err = statusError(undefined, { requestId: 'r-2' });
  assert.equal(err?.code, 'INTERNAL');
  assert.equal(err?.requestId, 'r-2');
  assert.equal(isOk(undefined), false);
});
