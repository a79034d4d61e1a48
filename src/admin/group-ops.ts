/**
 * Consumer group operations: create or update on chosen masters (FIFO, delivery attempts, retry
 * policy), delete, list, describe with the connected clients.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { type BrokerAddress, selectMasters } from './cluster.js';
import { brokerCall, num, type OpContext, rec, str } from './context.js';
import { RequestCode } from './remoting/codes.js';
import { parseBody } from './remoting/json.js';
import { onEachBroker } from './results.js';
import type {
  BrokerResult,
  ConnectedClient,
  GroupDescription,
  GroupOptions,
  GroupRetryPolicy,
} from './types.js';
import { isSystemGroup, validateGroupName, validatePositive } from './validation.js';

/** Deliveries the broker allows by default (`retryMaxTimes` 16 + the first delivery). */
const DEFAULT_ATTEMPTS = 17;
const MAX_ATTEMPTS = 1000;
const MAX_DELAY_MS = 24 * 3600 * 1000;

function checkDelay(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_DELAY_MS) {
    throw new RocketMQError(
      `${what} must be an integer from 1 to ${MAX_DELAY_MS} ms, got ${String(v)}`,
      'INVALID_ARGUMENT',
    );
  }
  return v;
}

/** Checks a retry policy. @throws RocketMQError `INVALID_ARGUMENT` */
export function validateRetryPolicy(p: GroupRetryPolicy): GroupRetryPolicy {
  if (p === null || typeof p !== 'object')
    throw new RocketMQError('retryPolicy must be an object', 'INVALID_ARGUMENT');
  if (p.kind === 'customized') {
    if (!Array.isArray(p.delaysMs) || p.delaysMs.length === 0) {
      throw new RocketMQError('retryPolicy.delaysMs must be a non-empty array', 'INVALID_ARGUMENT');
    }
    for (const [i, d] of p.delaysMs.entries()) checkDelay(`retryPolicy.delaysMs[${i}]`, d);
    return p;
  }
  if (p.kind === 'exponential') {
    checkDelay('retryPolicy.initialMs', p.initialMs);
    checkDelay('retryPolicy.maxMs', p.maxMs);
    if (p.maxMs < p.initialMs)
      throw new RocketMQError('retryPolicy.maxMs is below initialMs', 'INVALID_ARGUMENT');
    validatePositive('retryPolicy.multiplier', p.multiplier, 100);
    return p;
  }
  throw new RocketMQError(
    `Unknown retry policy kind ${String((p as { kind?: unknown }).kind)}`,
    'INVALID_ARGUMENT',
  );
}

/** Checks a group's options. @throws RocketMQError `INVALID_ARGUMENT` */
export function checkGroupOptions(o: GroupOptions): void {
  if (o.fifo !== undefined && typeof o.fifo !== 'boolean')
    throw new RocketMQError('fifo must be a boolean', 'INVALID_ARGUMENT');
  if (o.maxDeliveryAttempts !== undefined)
    validatePositive('maxDeliveryAttempts', o.maxDeliveryAttempts, MAX_ATTEMPTS);
  if (o.retryPolicy !== undefined) validateRetryPolicy(o.retryPolicy);
}

function policyToBroker(p: GroupRetryPolicy): Record<string, unknown> {
  return p.kind === 'customized'
    ? { type: 'CUSTOMIZED', customizedRetryPolicy: { next: [...p.delaysMs] } }
    : {
        type: 'EXPONENTIAL',
        exponentialRetryPolicy: { initial: p.initialMs, max: p.maxMs, multiplier: p.multiplier },
      };
}

function policyFromBroker(v: unknown): GroupRetryPolicy | undefined {
  const r = rec(v);
  if (r.type === 'EXPONENTIAL') {
    const e = rec(r.exponentialRetryPolicy);
    return {
      kind: 'exponential',
      initialMs: num(e.initial),
      maxMs: num(e.max),
      multiplier: num(e.multiplier),
    };
  }
  if (r.type === 'CUSTOMIZED') {
    const next = rec(r.customizedRetryPolicy).next;
    // A customized policy without delays is the broker's default.
    return Array.isArray(next) && next.length > 0
      ? { kind: 'customized', delaysMs: next.map(num) }
      : undefined;
  }
  return undefined;
}

async function groupConfig(ctx: OpContext, address: string, group: string): Promise<Record<string, unknown>> {
  return brokerCall(ctx, `Config of group ${group}`, address, RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, {
    group,
  });
}

async function writeGroup(ctx: OpContext, address: string, group: string, o: GroupOptions, merge: boolean) {
  const current = merge ? await groupConfig(ctx, address, group) : {};
  const config: Record<string, unknown> = {
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    retryQueueNums: 1,
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
    groupSysFlag: 0,
    consumeTimeoutMinute: 15,
    attributes: {},
    ...current,
    groupName: group,
    consumeMessageOrderly: o.fifo ?? (merge ? current.consumeMessageOrderly === true : false),
    retryMaxTimes:
      o.maxDeliveryAttempts !== undefined
        ? o.maxDeliveryAttempts - 1
        : merge
          ? num(current.retryMaxTimes)
          : DEFAULT_ATTEMPTS - 1,
  };
  if (o.retryPolicy !== undefined) config.groupRetryPolicy = policyToBroker(o.retryPolicy);
  const body = Buffer.from(JSON.stringify(config), 'utf8');
  await brokerCall(
    ctx,
    `Create group ${group}`,
    address,
    RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
    {},
    body,
  );
}

/** Creates (or overwrites) a group on the chosen masters. */
export function createGroup(ctx: OpContext, name: string, options: GroupOptions): Promise<BrokerResult[]> {
  return putGroup(ctx, name, options, false);
}

/** Changes the given fields of a group on the chosen masters (others keep their value). */
export function updateGroup(ctx: OpContext, name: string, options: GroupOptions): Promise<BrokerResult[]> {
  return putGroup(ctx, name, options, true);
}

/** Writes a group on the chosen masters; `merge` keeps the fields `options` does not give. */
async function putGroup(
  ctx: OpContext,
  name: string,
  options: GroupOptions | undefined,
  merge: boolean,
): Promise<BrokerResult[]> {
  const group = validateGroupName(name);
  const opts = options ?? {};
  checkGroupOptions(opts);
  const masters = await selectMasters(ctx, opts);
  return onEachBroker(ctx, masters, (b) => writeGroup(ctx, b.address, group, opts, merge));
}

/** Deletes a group (and its offsets) from every master. */
export async function deleteGroup(ctx: OpContext, name: string): Promise<BrokerResult[]> {
  const group = validateGroupName(name);
  const masters = await selectMasters(ctx, {});
  return onEachBroker(ctx, masters, async (b) => {
    await brokerCall(ctx, `Delete group ${group}`, b.address, RequestCode.DELETE_SUBSCRIPTIONGROUP, {
      groupName: group,
      cleanOffset: 'true',
    });
  });
}

/** Group names held by the masters, sorted; system groups only on request. */
export async function listGroups(ctx: OpContext, includeSystem: boolean): Promise<string[]> {
  const masters = await selectMasters(ctx, {});
  const names = new Set<string>();
  await Promise.all(
    masters.map(async (b) => {
      const body = await brokerCall(
        ctx,
        'Group list',
        b.address,
        RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
      );
      for (const name of Object.keys(rec(body.subscriptionGroupTable))) names.add(name);
    }),
  );
  return [...names].filter((n) => includeSystem || !isSystemGroup(n)).sort();
}

async function clientsOn(ctx: OpContext, b: BrokerAddress, group: string): Promise<ConnectedClient[]> {
  const res = await ctx.pool.call({
    address: b.address,
    code: RequestCode.GET_CONSUMER_CONNECTION_LIST,
    extFields: { consumerGroup: group },
    signal: ctx.signal,
    timeoutMs: ctx.requestTimeoutMs,
  });
  if (res.code !== 0) return []; // CONSUMER_NOT_ONLINE: nobody connected to this broker
  const body = parseBody(res.body);
  return (Array.isArray(body.connectionSet) ? body.connectionSet : []).map((c) => {
    const r = rec(c);
    return {
      clientId: str(r.clientId),
      address: str(r.clientAddr),
      language: str(r.language),
      version: num(r.version),
      brokerName: b.brokerName,
    };
  });
}

/** A group's configuration and connected clients. @throws RocketMQError `CONSUMER_GROUP_NOT_FOUND` */
export async function describeGroup(ctx: OpContext, name: string): Promise<GroupDescription> {
  const group = validateGroupName(name);
  const masters = await selectMasters(ctx, {});
  const configs: Array<{ broker: string; config: Record<string, unknown> }> = [];
  const clients: ConnectedClient[] = [];
  await Promise.all(
    masters.map(async (b) => {
      try {
        configs.push({ broker: b.brokerName, config: await groupConfig(ctx, b.address, group) });
      } catch (e) {
        const err = RocketMQError.from(e);
        if (err.code !== 'CONSUMER_GROUP_NOT_FOUND' && !/not exist/i.test(err.message)) throw err;
        return;
      }
      clients.push(...(await clientsOn(ctx, b, group)));
    }),
  );
  const first = configs.sort((a, b) => a.broker.localeCompare(b.broker))[0];
  if (first === undefined)
    throw new RocketMQError(`Group ${group} does not exist`, 'CONSUMER_GROUP_NOT_FOUND');
  return {
    group,
    fifo: first.config.consumeMessageOrderly === true,
    maxDeliveryAttempts: num(first.config.retryMaxTimes) + 1,
    retryPolicy: policyFromBroker(first.config.groupRetryPolicy),
    brokers: configs.map((c) => c.broker),
    clients: clients.sort((a, b) => a.clientId.localeCompare(b.clientId)),
  };
}
