/**
 * npx tsx testcontainers/cli.ts start [--acl]   start a broker, print its addresses, run until Ctrl-C
 * npx tsx testcontainers/cli.ts start --cluster [--brokers N] [--proxies M] [--slaves] [--version V]
 *                                               a cluster of cluster-mode proxies and broker masters
 * npx tsx testcontainers/cli.ts fetch-jars      only fill the jar cache (CI install step)
 * npx tsx testcontainers/cli.ts describe        print which broker source would be used
 */

import { describeBrokerSource, startBroker } from './index.js';
import { ensureJars, jarCache } from './jar-cache.js';
import { startCluster } from './jvm-cluster.js';

const USAGE =
  'usage: tsx testcontainers/cli.ts start [--acl] | start --cluster [--brokers N] [--proxies M] [--slaves] [--version V] | fetch-jars | describe';

function log(line: string): void {
  console.error(`[broker] ${line}`);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function count(args: string[], name: string, fallback: number): number {
  const text = option(args, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 8)
    throw new Error(`${name} must be an integer 1-8 (got "${text}")`);
  return n;
}

async function start(args: string[]): Promise<void> {
  const abort = new AbortController();
  const onStartupSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onStartupSignal);
  const broker = args.includes('--cluster')
    ? await startCluster({
        brokers: count(args, '--brokers', 2),
        proxies: count(args, '--proxies', 2),
        slaves: args.includes('--slaves'),
        ...(option(args, '--version') ? { version: option(args, '--version') } : {}),
        log,
        signal: abort.signal,
      })
    : await startBroker({ acl: args.includes('--acl'), log, signal: abort.signal });
  process.removeListener('SIGINT', onStartupSignal);
  console.log(`ROCKETMQ_ENDPOINT=${broker.endpoint}`);
  console.log(`ROCKETMQ_NAMESRV=${broker.namesrv}`);
  if ('acl' in broker && broker.acl) {
    console.log(`ROCKETMQ_ACCESS_KEY=${broker.acl.accessKey}`);
    console.log(`ROCKETMQ_SECRET_KEY=${broker.acl.secretKey}`);
  }
  if ('rssBytes' in broker) {
    log(
      `started in ${broker.startupMs} ms; RSS ${(broker.rssBytes() / 2 ** 20).toFixed(0)} MiB over ${broker.nodes.length} JVMs (${broker.nodes.map((n) => `${n.name} ${(n.rssBytes() / 2 ** 20).toFixed(0)}`).join(', ')})`,
    );
  }
  log('running; press Ctrl-C to stop');
  // The JVM children are unref'd; keep the event loop alive until a signal arrives.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(keepAlive);
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      log('stopping');
      void broker.stop().then(resolve, (e: unknown) => {
        console.error(e);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      await start(rest);
      return 0;
    case 'fetch-jars': {
      const started = Date.now();
      const lib = await ensureJars({ log });
      console.log(`${lib} (${Date.now() - started} ms; marker ${jarCache().marker})`);
      return 0;
    }
    case 'describe': {
      const s = await describeBrokerSource();
      console.log(`${s.kind}: ${s.reason}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
