export * from './api-keys';
export * from './endpoint-secrets';
export * from './master-key';
export * from './redact';
