/**
 * The public names of a client's lifecycle states (kept apart from `client-core.ts`, so public
 * declarations that mention them do not pull the client core — and the generated code — into the
 * declaration graph).
 *
 * @packageDocumentation
 */

/** Lifecycle states of a client: `created → starting → running → stopping → stopped`, or `failed`. */
export type ClientCoreStateName = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
