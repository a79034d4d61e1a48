/**
 * The library version: sent to the server in the settings' user agent (`UA.version`), used as the
 * tracer and meter version, printed by the CLI. Must match `version` in package.json (a unit test
 * checks it).
 */
export const VERSION = '0.1.0';

/**
 * The value of the `x-mq-client-version` header: the release of the official 5.x clients whose
 * protocol behaviour this library implements. The proxy gates answers on that header by plain string
 * comparison with 5.0.x values (below "5.0.3" a receive whose polling time does not fit its deadline
 * gets the old `BAD_REQUEST` instead of `ILLEGAL_POLLING_TIME`) and otherwise treats an unknown
 * version as current, so our own version (0.x) would make it answer as to a pre-5.0.3 client. Our
 * version stays visible in the user agent (see {@link VERSION}).
 */
export const PROTOCOL_CLIENT_VERSION = '5.0.8';
