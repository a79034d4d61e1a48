/**
 * `rocketmq-ts/admin`: topics, consumer groups, lag, offsets, message lookup and dead letters of a
 * RocketMQ 5.x deployment, from Node, with no JVM. It talks to the name server and the brokers over
 * their remoting protocol, so it is a separate entry: the core entry stays gRPC-only.
 *
 * @packageDocumentation
 */

export { Admin, type AdminOptions } from './admin.js';
export type { AdminApi, AdminState } from './admin-api.js';
export type { RemotingCredentials } from './remoting/frame.js';
export type {
  AdminCallOptions,
  AdminMessage,
  BrokerInfo,
  BrokerResult,
  BrokerSelection,
  ConnectedClient,
  DeadLetter,
  FindMessagesOptions,
  GroupDescription,
  GroupLag,
  GroupOptions,
  GroupRetryPolicy,
  OffsetChange,
  OffsetResetResult,
  QueueLag,
  QueueStatus,
  RedriveResult,
  TopicDescription,
  TopicMessageType,
  TopicOnBroker,
  TopicOptions,
  TopicPermission,
} from './types.js';
export {
  GROUP_MAX_LENGTH,
  isSystemGroup,
  isSystemTopic,
  MAX_QUEUES,
  TOPIC_MAX_LENGTH,
} from './validation.js';
