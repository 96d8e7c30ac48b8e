export * from './address-policy';
export * from './durations';
export * from './ids';
export * from './subscriptions';
export * from './retry-policy';
export * from './circuit-breaker';
export * from './delivery-state';
export * from './host-resolver';
