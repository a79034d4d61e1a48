/**
 * Client lifecycle RPCs: Telemetry (Settings handshake, client answers), Heartbeat and
 * NotifyClientTermination (proxy `ClientActivity`).
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ClientType, Code, type Settings } from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  type HeartbeatRequest,
  type HeartbeatResponse,
  HeartbeatResponseSchema,
  type NotifyClientTerminationRequest,
  type NotifyClientTerminationResponse,
  NotifyClientTerminationResponseSchema,
  type TelemetryCommand,
  TelemetryCommandSchema,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerCore } from './broker-core.js';
import { type CallContext, LANGUAGE_CODES } from './call-context.js';
import { StreamStatusError } from './call-pipeline.js';
import { compileFilter } from './filter.js';
import { MAX_LITE_TOPIC_BYTES } from './lite-subscriptions.js';
import { groupModeMismatch } from './rpc-lite.js';
import { mergeSettings, type SettingsPolicy } from './settings.js';
import { BrokerStatusError, okStatus, status } from './status.js';
import { toTelemetryReply } from './telemetry-convert.js';
import type { TelemetryStream } from './telemetry-hub.js';
import { validateGroupName, validateTopicName } from './validation.js';

/** Server policy for the Settings reply. */
export function settingsPolicy(core: BrokerCore): SettingsPolicy {
  const o = core.options;
  return {
    producerMaxAttempts: o.maxAttempts,
    producerBackoff: o.producerBackoff,
    maxBodySize: o.maxBodySize,
    validateMessageType: o.validateMessageType,
    receiveBatchSize: o.receiveBatchSize,
    longPollingMaxMs: o.longPollingMaxMs,
    maxLiteTopicSize: MAX_LITE_TOPIC_BYTES,
  };
}

/** The client's settings merged with server policy, or `undefined` when it never sent any. */
export function clientSettings(core: BrokerCore, clientId: string): Settings | undefined {
  const raw = core.hub.settings(clientId);
  return raw === undefined ? undefined : mergeSettings(raw, settingsPolicy(core), core.groups);
}

/** `LanguageCode.valueOf(x-mq-language)`, which fails for unknown names. */
function checkLanguage(ctx: CallContext): void {
  if (ctx.language === undefined || !LANGUAGE_CODES.has(ctx.language)) {
    throw new BrokerStatusError(
      Code.INTERNAL_SERVER_ERROR,
      `No enum constant org.apache.rocketmq.remoting.protocol.LanguageCode.${ctx.language ?? 'null'}`,
    );
  }
}

/** Validations done while registering the client (topic names, group, filter expressions, language). */
function registerClient(settings: Settings, ctx: CallContext): void {
  if (settings.pubSub.case === 'publishing') {
    for (const topic of settings.pubSub.value.topics) {
      validateTopicName(topic.name);
      checkLanguage(ctx);
    }
  } else if (settings.pubSub.case === 'subscription') {
    const sub = settings.pubSub.value;
    validateGroupName(sub.group?.name ?? '');
    checkLanguage(ctx);
    for (const entry of sub.subscriptions) {
      const type = entry.expression?.type;
      const expression = entry.expression?.expression ?? '';
      if (type !== undefined) {
        try {
          compileFilter(type, expression, true);
        } catch (err) {
          if (err instanceof BrokerStatusError && err.code === Code.ILLEGAL_FILTER_EXPRESSION) {
            throw new BrokerStatusError(Code.ILLEGAL_FILTER_EXPRESSION, 'expression format is not correct');
          }
          // SQL syntax errors are only reported when receiving, as the broker does.
        }
      }
    }
  }
}

/** Handles one incoming Telemetry frame. */
export function onTelemetryFrame(
  core: BrokerCore,
  frame: TelemetryCommand,
  ctx: CallContext,
  stream: TelemetryStream,
): void {
  const command = frame.command;
  if (command.case !== 'settings') {
    core.hub.recordReply(toTelemetryReply(ctx.clientId, frame, core.clock.now()));
    return;
  }
  const settings = command.value;
  try {
    registerClient(settings, ctx);
  } catch (err) {
    const code = err instanceof BrokerStatusError ? err.code : Code.INTERNAL_SERVER_ERROR;
    const message = `process client telemetryCommand failed. ${err instanceof Error ? err.message : String(err)}`;
    const grpcCode =
      code >= Code.BAD_REQUEST && code < Code.INTERNAL_ERROR
        ? grpc.status.INVALID_ARGUMENT
        : grpc.status.INTERNAL;
    throw new StreamStatusError(grpcCode, message);
  }
  if (settings.pubSub.case === undefined) {
    throw new StreamStatusError(
      grpc.status.INVALID_ARGUMENT,
      'there is no publishing or subscription data in settings',
    );
  }
  const mismatch = groupModeMismatch(core, settings);
  if (mismatch !== undefined) {
    stream.write(create(TelemetryCommandSchema, { status: status(Code.BAD_REQUEST, mismatch) }));
    return;
  }
  core.hub.setSettings(ctx.clientId, settings);
  const merged = clientSettings(core, ctx.clientId)!;
  const reply = create(TelemetryCommandSchema, {
    status: ctx.malformed === 'no-status' ? undefined : okStatus(),
    command: ctx.malformed === 'empty-payload' ? { case: undefined } : { case: 'settings', value: merged },
  });
  stream.write(reply);
}

/** Heartbeat: needs stored settings; consumers must name a valid group. */
export function heartbeat(core: BrokerCore, req: HeartbeatRequest, ctx: CallContext): HeartbeatResponse {
  const settings = core.hub.settings(ctx.clientId);
  if (settings === undefined) {
    return create(HeartbeatResponseSchema, {
      status: status(Code.UNRECOGNIZED_CLIENT_TYPE, 'cannot find client settings for this client'),
    });
  }
  const type = settings.clientType ?? ClientType.CLIENT_TYPE_UNSPECIFIED;
  switch (type) {
    case ClientType.PRODUCER:
      if (settings.pubSub.case === 'publishing' && settings.pubSub.value.topics.length > 0)
        checkLanguage(ctx);
      break;
    case ClientType.PUSH_CONSUMER:
    case ClientType.SIMPLE_CONSUMER:
    case ClientType.LITE_PUSH_CONSUMER:
    case ClientType.LITE_SIMPLE_CONSUMER:
      validateGroupName(req.group?.name ?? '');
      checkLanguage(ctx);
      break;
    default:
      return create(HeartbeatResponseSchema, {
        status: status(Code.UNRECOGNIZED_CLIENT_TYPE, ClientType[type] ?? String(type)),
      });
  }
  return create(HeartbeatResponseSchema, { status: okStatus() });
}

/** NotifyClientTermination: forgets the client's settings. */
export function notifyClientTermination(
  core: BrokerCore,
  req: NotifyClientTerminationRequest,
  ctx: CallContext,
): NotifyClientTerminationResponse {
  checkLanguage(ctx);
  const settings = core.hub.removeSettings(ctx.clientId);
  if (settings === undefined) {
    return create(NotifyClientTerminationResponseSchema, {
      status: status(Code.UNRECOGNIZED_CLIENT_TYPE, 'cannot find client settings for this client'),
    });
  }
  const type = settings.clientType ?? ClientType.CLIENT_TYPE_UNSPECIFIED;
  switch (type) {
    case ClientType.PRODUCER:
      break;
    case ClientType.PUSH_CONSUMER:
    case ClientType.SIMPLE_CONSUMER:
      validateGroupName(req.group?.name ?? '');
      break;
    case ClientType.LITE_PUSH_CONSUMER:
    case ClientType.LITE_SIMPLE_CONSUMER:
      validateGroupName(req.group?.name ?? '');
      core.lite.forget(ctx.clientId);
      break;
    default:
      return create(NotifyClientTerminationResponseSchema, {
        status: status(Code.UNRECOGNIZED_CLIENT_TYPE, ClientType[type] ?? String(type)),
      });
  }
  return create(NotifyClientTerminationResponseSchema, { status: okStatus() });
}
