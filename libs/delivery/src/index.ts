export * from './ids';
export * from './subscriptions';
