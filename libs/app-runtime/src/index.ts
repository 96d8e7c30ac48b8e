export * from './env';
export * from './run-app';
