export * from './client';
export * from './kafka-settings';
export * from './schema-registry';
export * from './topic-admin';
export * from './readiness';
export * from './connect';
