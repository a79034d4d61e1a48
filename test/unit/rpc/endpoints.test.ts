import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { experimental } from '@grpc/grpc-js';
import { RocketMQError } from '../../../src/errors.js';
import {
  createEndpoints,
  DEFAULT_PROXY_PORT,
  endpointKey,
  formatAddress,
  parseEndpoints,
  shuffleEndpoints,
  toGrpcTarget,
} from '../../../src/rpc/endpoints.js';

const isInvalid = (e: unknown): boolean => e instanceof RocketMQError && e.code === 'ILLEGAL_ACCESS_POINT';

describe('parseEndpoints: accepted forms', () => {
  const cases: Array<[string, string, Array<[string, number]>]> = [
    ['127.0.0.1:8081', 'ipv4', [['127.0.0.1', 8081]]],
    [
      '10.0.0.1:8081;10.0.0.2:8082',
      'ipv4',
      [
        ['10.0.0.1', 8081],
        ['10.0.0.2', 8082],
      ],
    ],
    [
      '10.0.0.1:8081,10.0.0.2:8081',
      'ipv4',
      [
        ['10.0.0.1', 8081],
        ['10.0.0.2', 8081],
      ],
    ],
    [
      ' 10.0.0.1:1 ; 10.0.0.2:2 ',
      'ipv4',
      [
        ['10.0.0.1', 1],
        ['10.0.0.2', 2],
      ],
    ],
    ['[::1]:8081', 'ipv6', [['::1', 8081]]],
    [
      '[2001:DB8::1]:9876;[2001:db8::2]:9876',
      'ipv6',
      [
        ['2001:db8::1', 9876],
        ['2001:db8::2', 9876],
      ],
    ],
    ['[::1]', 'ipv6', [['::1', DEFAULT_PROXY_PORT]]],
    ['rocketmq.example.com:8081', 'domain', [['rocketmq.example.com', 8081]]],
    ['MQ.Example.COM:443', 'domain', [['mq.example.com', 443]]],
    ['localhost:65535', 'domain', [['localhost', 65535]]],
    ['my_proxy-1.svc.cluster.local:8081', 'domain', [['my_proxy-1.svc.cluster.local', 8081]]],
    ['http://10.1.1.1:8081', 'ipv4', [['10.1.1.1', 8081]]],
    ['HTTPS://mq.example.com:8443/', 'domain', [['mq.example.com', 8443]]],
    ['https://[::1]:8081', 'ipv6', [['::1', 8081]]],
    ['mq.example.com', 'domain', [['mq.example.com', DEFAULT_PROXY_PORT]]],
    ['192.168.0.1', 'ipv4', [['192.168.0.1', DEFAULT_PROXY_PORT]]],
    [
      '10.0.0.1:1;10.0.0.1:65535',
      'ipv4',
      [
        ['10.0.0.1', 1],
        ['10.0.0.1', 65535],
      ],
    ],
  ];
  for (const [input, scheme, addresses] of cases) {
    test(JSON.stringify(input), () => {
      const e = parseEndpoints(input);
      assert.equal(e.scheme, scheme);
      assert.deepEqual(
        e.addresses.map((a) => [a.host, a.port]),
        addresses,
      );
      assert.ok(Object.isFrozen(e) && Object.isFrozen(e.addresses));
    });
  }

  test('the default port is the proxy gRPC port', () => {
    assert.equal(DEFAULT_PROXY_PORT, 8081);
  });
});

describe('parseEndpoints: rejected input', () => {
  const bad = [
    '',
    '   ',
    ';;',
    'host:',
    'host:0',
    'host:65536',
    'host:99999999',
    'host:80a',
    'host:-1',
    '::1',
    '2001:db8::1:8081',
    '[::1',
    '[::1]8081',
    '[1.2.3.4]:80',
    '[zz::1]:80',
    '1.2.3.999:80',
    '300.1.1.1',
    'bad host:80',
    'a..b:80',
    '-leading.example.com:80',
    'grpc://host:80',
    'http://',
    'user:pass@host:80',
    '10.0.0.1:1;[::1]:1',
    'a.example.com:1;b.example.com:1',
    '10.0.0.1:1;mq.example.com:1',
    `${'a'.repeat(64)}.com:80`,
  ];
  for (const input of bad) {
    test(JSON.stringify(input), () => {
      assert.throws(() => parseEndpoints(input), isInvalid);
    });
  }

  test('messages explain the fix for unbracketed IPv6', () => {
    assert.throws(() => parseEndpoints('fe80::1:8081'), /brackets/);
  });
});

describe('parseEndpoints: multi-address access points name the bad entry', () => {
  const cases: Array<[string, RegExp]> = [
    // empty entries, wherever they are
    ['10.0.0.1:8081;;10.0.0.2:8081', /Empty entry 2 of 3/],
    ['10.0.0.1:8081;', /Empty entry 2 of 2/],
    [';10.0.0.1:8081', /Empty entry 1 of 2/],
    ['10.0.0.1:8081, ,10.0.0.2:8081', /Empty entry 2 of 3/],
    // ports at and past the bounds
    ['10.0.0.1:8081;10.0.0.2:0', /"10\.0\.0\.2:0"/],
    ['10.0.0.1:8081;10.0.0.2:65536', /out of range.*"10\.0\.0\.2:65536"/],
    // the same address twice, also when written differently
    ['10.0.0.1:8081;10.0.0.1:8081', /"10\.0\.0\.1:8081" repeats "10\.0\.0\.1:8081"/],
    ['http://10.0.0.1:8081;10.0.0.1:8081', /"10\.0\.0\.1:8081" repeats "http:\/\/10\.0\.0\.1:8081"/],
    ['[::1]:8081;[0:0::1]:8081', /"\[0:0::1\]:8081" repeats/],
    ['10.0.0.1;10.0.0.1:8081', /"10\.0\.0\.1:8081" repeats "10\.0\.0\.1"/],
    // mixes one grpc-js channel cannot take
    ['10.0.0.1:8081;[::1]:8081', /"\[::1\]:8081" \(ipv6\) cannot share a channel with "10\.0\.0\.1:8081"/],
    [
      '10.0.0.1:8081;mq.example.com:8081',
      /"mq\.example\.com:8081" cannot share.*domain name must be the only/,
    ],
    ['a.example.com:1;b.example.com:1', /"b\.example\.com:1" cannot share/],
  ];
  for (const [input, message] of cases) {
    test(JSON.stringify(input), () => {
      assert.throws(
        () => parseEndpoints(input),
        (e: unknown) => isInvalid(e) && message.test((e as Error).message),
      );
    });
  }

  test('route entries (createEndpoints) still drop duplicates instead of failing', () => {
    const e = createEndpoints('ipv4', [
      { host: '10.0.0.1', port: 1 },
      { host: '10.0.0.1', port: 1 },
    ]);
    assert.equal(e.addresses.length, 1);
  });
});

describe('shuffleEndpoints', () => {
  const four = parseEndpoints('10.0.0.1:1;10.0.0.2:1;10.0.0.3:1;10.0.0.4:1');
  const hosts = (e: { addresses: readonly { host: string }[] }) =>
    e.addresses.map((a) => a.host.slice(-1)).join('');

  test('is a permutation driven by the random source', () => {
    // Fisher-Yates from the end: j = floor(r * (i + 1)) for i = 3, 2, 1.
    assert.equal(hosts(shuffleEndpoints(four, () => 0)), '2341');
    assert.equal(hosts(shuffleEndpoints(four, () => 0.999999)), '1234');
    const seen = new Set<string>();
    let seed = 1;
    const lcg = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 500; i++) {
      const h = hosts(shuffleEndpoints(four, lcg));
      assert.equal([...h].sort().join(''), '1234');
      seen.add(h);
    }
    assert.equal(seen.size, 24, 'every order of four addresses occurs');
  });

  test('keeps the scheme, the identity key and frozenness; one address is returned as is', () => {
    const s = shuffleEndpoints(four, () => 0);
    assert.equal(s.scheme, 'ipv4');
    assert.equal(endpointKey(s), endpointKey(four));
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.addresses));
    const one = parseEndpoints('10.0.0.1:1');
    assert.equal(
      shuffleEndpoints(one, () => 0.5),
      one,
    );
  });

  test('a random source returning 1 cannot index past the end', () => {
    assert.equal(hosts(shuffleEndpoints(four, () => 1)), '1234');
  });
});

describe('parseEndpoints: messages', () => {
  test('messages explain the fix for unbracketed IPv6 (again)', () => {
    assert.throws(() => parseEndpoints('fe80::1:8081'), /brackets/);
  });

  test('user info is not echoed in the message', () => {
    assert.throws(
      () => parseEndpoints('admin:hunter2@mq.example.com:8081'),
      (e) => isInvalid(e) && !(e as Error).message.includes('hunter2'),
    );
  });

  test('non-string input', () => {
    assert.throws(() => parseEndpoints(undefined as unknown as string), { code: 'INVALID_ARGUMENT' });
  });
});

describe('grpc targets and keys', () => {
  test('targets use the resolver prefix grpc-js expects', () => {
    assert.equal(toGrpcTarget(parseEndpoints('mq.example.com:8081')), 'dns:mq.example.com:8081');
    assert.equal(
      toGrpcTarget(parseEndpoints('10.0.0.2:8081;10.0.0.1:8082')),
      'ipv4:10.0.0.2:8081,10.0.0.1:8082',
    );
    assert.equal(toGrpcTarget(parseEndpoints('[::2]:8081;[::1]:8081')), 'ipv6:[::2]:8081,[::1]:8081');
  });

  test('every address of a target is understood by grpc-js', () => {
    for (const input of ['mq.example.com:8081', '10.0.0.2:8081;10.0.0.1:8082', '[::2]:8081;[fe80::1]:9']) {
      const target = toGrpcTarget(parseEndpoints(input));
      const path = target.slice(target.indexOf(':') + 1);
      const parts = target.startsWith('dns:') ? [path] : path.split(',');
      const parsed = parts.map((p) => experimental.splitHostPort(p));
      const endpoints = parseEndpoints(input);
      assert.deepEqual(
        parsed.map((hp) => [hp?.host, hp?.port]),
        endpoints.addresses.map((a) => [a.host, a.port]),
      );
    }
  });

  test('endpointKey ignores address order; the target keeps it', () => {
    const a = parseEndpoints('10.0.0.2:1;10.0.0.1:1');
    const b = parseEndpoints('10.0.0.1:1;10.0.0.2:1');
    assert.equal(endpointKey(a), endpointKey(b));
    assert.notEqual(toGrpcTarget(a), toGrpcTarget(b));
    assert.notEqual(endpointKey(parseEndpoints('10.0.0.1:1')), endpointKey(parseEndpoints('10.0.0.1:2')));
    assert.equal(
      endpointKey(parseEndpoints('http://MQ.example.com:1')),
      endpointKey(parseEndpoints('mq.example.com:1')),
    );
  });

  test('formatAddress brackets IPv6', () => {
    assert.equal(formatAddress({ host: '::1', port: 1 }), '[::1]:1');
    assert.equal(formatAddress({ host: 'h', port: 2 }), 'h:2');
  });
});

describe('createEndpoints', () => {
  test('validates addresses against the scheme', () => {
    assert.equal(createEndpoints('ipv4', [{ host: '1.2.3.4', port: 8081 }]).addresses.length, 1);
    assert.throws(() => createEndpoints('ipv4', []), isInvalid);
    assert.throws(() => createEndpoints('ipv4', [{ host: '::1', port: 1 }]), isInvalid);
    assert.throws(() => createEndpoints('ipv6', [{ host: '1.2.3.4', port: 1 }]), isInvalid);
    assert.throws(() => createEndpoints('domain', [{ host: 'a b', port: 1 }]), isInvalid);
    assert.throws(() => createEndpoints('ipv4', [{ host: '1.2.3.4', port: 1.5 }]), isInvalid);
    assert.throws(
      () =>
        createEndpoints('domain', [
          { host: 'a.com', port: 1 },
          { host: 'b.com', port: 1 },
        ]),
      isInvalid,
    );
  });
});
