import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { ManualClock } from '../../../src/internal/clock.js';
import {
  decodeMessageId,
  findMacAddress,
  MESSAGE_ID_EPOCH_MS,
  MessageIdGenerator,
  nextMessageId,
} from '../../../src/model/message-id.js';

const MAC = Buffer.from('56F7E71C361B', 'hex');

function generator(epochMs: number, extra: { pid?: number; sequence?: number } = {}): MessageIdGenerator {
  return new MessageIdGenerator({ clock: new ManualClock(epochMs, 1000), mac: MAC, pid: 12345, ...extra });
}

describe('MessageIdGenerator', () => {
  test('encodes a known V1 id byte for byte', () => {
    // MAC 56F7E71C361B, pid 12345, 2024-01-02T03:04:05Z (94705445 s), seq 7.
    const ids = generator(Date.UTC(2024, 0, 2, 3, 4, 5), { sequence: 7 });
    assert.equal(ids.next(), '0156F7E71C361B303905A5172500000007');
  });

  test('layout: version, MAC, pid, seconds, sequence', () => {
    const ids = generator(MESSAGE_ID_EPOCH_MS + 1999); // 1 s after the V1 epoch
    const id = ids.next();
    assert.equal(id.length, 34);
    assert.match(id, /^[0-9A-F]{34}$/);
    assert.equal(id.slice(0, 2), '01');
    assert.equal(id.slice(2, 14), '56F7E71C361B');
    assert.equal(id.slice(14, 18), '3039');
    assert.equal(id.slice(18, 26), '00000001');
    assert.equal(id.slice(26), '00000000');
  });

  test('sequence increments per id and wraps at 2^32', () => {
    const ids = generator(MESSAGE_ID_EPOCH_MS, { sequence: 2 ** 32 - 2 });
    assert.equal(ids.next().slice(26), 'FFFFFFFE');
    assert.equal(ids.next().slice(26), 'FFFFFFFF');
    assert.equal(ids.next().slice(26), '00000000');
    assert.equal(ids.next().slice(26), '00000001');
  });

  test('only the lower 16 bits of the pid are used', () => {
    assert.equal(generator(MESSAGE_ID_EPOCH_MS, { pid: 0x12345 }).next().slice(14, 18), '2345');
  });

  test('seconds follow the monotonic clock anchored at the first id, not later wall-clock jumps', () => {
    const clock = new ManualClock(MESSAGE_ID_EPOCH_MS + 10_000, 0);
    const ids = new MessageIdGenerator({ clock, mac: MAC, pid: 1 });
    assert.equal(ids.next().slice(18, 26), '0000000A');
    clock.advance(5_500);
    assert.equal(ids.next().slice(18, 26), '0000000F');
    clock.setWallClock(MESSAGE_ID_EPOCH_MS); // wall clock set back 15 s
    assert.equal(ids.next().slice(18, 26), '0000000F');
  });

  test('times before 2021 wrap to the lower 32 bits (like Java int arithmetic)', () => {
    assert.equal(
      generator(MESSAGE_ID_EPOCH_MS - 1000)
        .next()
        .slice(18, 26),
      'FFFFFFFF',
    );
  });

  test('a MAC function is called lazily, once', () => {
    let calls = 0;
    const ids = new MessageIdGenerator({
      clock: new ManualClock(MESSAGE_ID_EPOCH_MS),
      mac: () => {
        calls++;
        return Uint8Array.of(1, 2, 3, 4, 5, 6);
      },
    });
    assert.equal(calls, 0);
    assert.equal(ids.next().slice(2, 14), '010203040506');
    ids.next();
    assert.equal(calls, 1);
  });

  test('rejects a MAC that is not 6 bytes and bad pid / sequence', () => {
    const isInvalid = (e: unknown) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT';
    assert.throws(() => new MessageIdGenerator({ mac: Uint8Array.of(1, 2, 3) }), isInvalid);
    assert.throws(() => new MessageIdGenerator({ mac: () => Uint8Array.of(1) }).next(), isInvalid);
    assert.throws(() => new MessageIdGenerator({ pid: -1 }), isInvalid);
    assert.throws(() => new MessageIdGenerator({ sequence: 1.5 }), isInvalid);
  });

  test('the default generator yields distinct well-formed ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = nextMessageId();
      assert.match(id, /^01[0-9A-F]{32}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 1000);
    assert.equal(decodeMessageId(nextMessageId())?.pid, process.pid & 0xffff);
  });
});

describe('findMacAddress', () => {
  const iface = (mac: string, internal: boolean) =>
    ({ address: '10.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac, internal, cidr: null }) as const;

  test('skips internal interfaces and all-zero MACs, takes the first real one', () => {
    const mac = findMacAddress({
      lo: [iface('00:00:00:00:00:00', true)],
      tun0: [iface('00:00:00:00:00:00', false)],
      eth0: [iface('02:42:ac:11:00:02', false)],
      eth1: [iface('aa:bb:cc:dd:ee:ff', false)],
    });
    assert.deepEqual(mac, Uint8Array.of(0x02, 0x42, 0xac, 0x11, 0x00, 0x02));
  });

  test('returns undefined when there is no usable interface (caller falls back to random bytes)', () => {
    assert.equal(findMacAddress({ lo: [iface('02:42:ac:11:00:02', true)] }), undefined);
    assert.equal(findMacAddress({}), undefined);
  });
});

describe('decodeMessageId', () => {
  test('decodes a V1 id', () => {
    assert.deepEqual(decodeMessageId('0156F7E71C361B303905A5172500000007'), {
      version: 1,
      mac: '56F7E71C361B',
      pid: 12345,
      seconds: 94705445,
      sequence: 7,
    });
  });

  test('returns undefined for non-V1 ids', () => {
    assert.equal(decodeMessageId('7F000001000A18B4AAC20C9F4E4A0000'), undefined); // 32 chars: V0
    assert.equal(decodeMessageId('0056F7E71C361B303905A5172500000007'), undefined); // version 00
    assert.equal(decodeMessageId('01ZZF7E71C361B303905A5172500000007'), undefined);
  });
});
