/**
 * Cluster layout from the name server: brokers and their roles, topic routes, and the choice of
 * masters an operation runs on.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { brokerCall, namesrvCall, type OpContext, rec, str } from './context.js';
import { RequestCode } from './remoting/codes.js';
import type { BrokerInfo, BrokerSelection } from './types.js';

/** A broker without its version (which needs a request to the broker itself). */
export type BrokerAddress = Omit<BrokerInfo, 'version'>;

/** Every broker the name servers know, masters first. */
export async function listBrokers(ctx: OpContext): Promise<BrokerAddress[]> {
  const info = await namesrvCall(ctx, 'Cluster info', RequestCode.GET_BROKER_CLUSTER_INFO);
  const out: BrokerAddress[] = [];
  for (const b of Object.values(rec(info.brokerAddrTable))) {
    const r = rec(b);
    for (const [id, address] of Object.entries(rec(r.brokerAddrs))) {
      const brokerId = Number(id);
      out.push({
        cluster: str(r.cluster),
        brokerName: str(r.brokerName),
        brokerId,
        address: str(address),
        role: brokerId === 0 ? 'MASTER' : 'SLAVE',
      });
    }
  }
  return out.sort((a, b) => a.brokerId - b.brokerId || a.brokerName.localeCompare(b.brokerName));
}

/** The broker's version from its runtime info, `undefined` when it does not answer. */
export async function brokerVersion(ctx: OpContext, address: string): Promise<string | undefined> {
  try {
    const body = await brokerCall(ctx, 'Broker runtime info', address, RequestCode.GET_BROKER_RUNTIME_INFO);
    const v = str(rec(body.table).brokerVersionDesc);
    return v === '' ? undefined : v;
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return undefined;
  }
}

/**
 * The masters chosen by `selection` (all masters by default).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for a broker or cluster name the name server does not know
 *   (nothing is sent to any broker), `NOT_FOUND` when there is no master at all.
 */
export async function selectMasters(ctx: OpContext, selection: BrokerSelection): Promise<BrokerAddress[]> {
  const masters = (await listBrokers(ctx)).filter((b) => b.role === 'MASTER');
  let chosen = masters;
  if (selection.cluster !== undefined) {
    chosen = chosen.filter((b) => b.cluster === selection.cluster);
    if (chosen.length === 0) {
      throw new RocketMQError(`No master in cluster "${selection.cluster}"`, 'INVALID_ARGUMENT');
    }
  }
  if (selection.brokers !== undefined) {
    const unknown = selection.brokers.filter((n) => !chosen.some((b) => b.brokerName === n));
    if (unknown.length > 0) {
      throw new RocketMQError(`Unknown broker(s): ${unknown.join(', ')}`, 'INVALID_ARGUMENT');
    }
    chosen = chosen.filter((b) => selection.brokers?.includes(b.brokerName));
  }
  if (chosen.length === 0) throw new RocketMQError('The name server knows no master broker', 'NOT_FOUND');
  return chosen;
}

/** A topic's route: per broker, its queue counts and master address. */
export interface TopicRoute {
  readonly brokers: ReadonlyArray<{
    readonly brokerName: string;
    readonly address: string | undefined;
    readonly readQueues: number;
    readonly writeQueues: number;
    readonly perm: number;
  }>;
}

/** The route of a topic. @throws RocketMQError `TOPIC_NOT_FOUND` */
export async function topicRoute(ctx: OpContext, topic: string): Promise<TopicRoute> {
  const body = await namesrvCall(ctx, `Route of ${topic}`, RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
  const addresses = new Map<string, string>();
  for (const b of Array.isArray(body.brokerDatas) ? body.brokerDatas : []) {
    const r = rec(b);
    const master = str(rec(r.brokerAddrs)['0']);
    if (master !== '') addresses.set(str(r.brokerName), master);
  }
  const brokers = (Array.isArray(body.queueDatas) ? body.queueDatas : []).map((q) => {
    const r = rec(q);
    const brokerName = str(r.brokerName);
    return {
      brokerName,
      address: addresses.get(brokerName),
      readQueues: Number(r.readQueueNums ?? 0),
      writeQueues: Number(r.writeQueueNums ?? 0),
      perm: Number(r.perm ?? 0),
    };
  });
  if (brokers.length === 0) throw new RocketMQError(`Topic ${topic} has no route`, 'TOPIC_NOT_FOUND');
  return { brokers: brokers.sort((a, b) => a.brokerName.localeCompare(b.brokerName)) };
}
