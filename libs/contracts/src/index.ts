export * from './event-catalogue';
export * from './schemas';
export * from './topics';
export * from './records';
