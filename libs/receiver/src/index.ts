export * from './verify';
export * from './delivery-store';
export * from './postgres-delivery-store';
export * from './handler';
