export * from './database';
export * from './migrate';
export * from './advisory-lock';
export * from './nul-characters';
export * from './unavailable';
export * from './drop-database';
