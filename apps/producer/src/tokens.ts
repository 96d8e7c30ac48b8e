/** Injection tokens for what main.ts builds before Nest starts (clients and pools are not Nest classes). */
export const DATABASE = Symbol('DATABASE');
export const LOGGER = Symbol('LOGGER');
export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');
