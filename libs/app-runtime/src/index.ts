export * from './close-in-order';
export * from './run-app';
