/**
 * The library version, sent as `x-mq-client-version` and used as the tracer version.
 * Must match `version` in package.json (a unit test checks it).
 */
export const VERSION = '0.1.0';
