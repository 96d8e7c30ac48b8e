export * from './event-catalogue';
export * from './schemas';
export * from './topics';
export * from './records';
export * from './format-deprecations';
export * from './system-event-types';
export * from './event-examples';
export * from './test-events';
