/** The store registry: config schema, CLI help and docs derive the list of stores from this. */
import type { StoreDefinition } from './types.ts';
import sqlite from './sqlite.ts';
import postgres from './postgres.ts';

export const stores = {
  sqlite,
  postgres,
} satisfies Record<string, StoreDefinition<any>>;

export type StoreType = keyof typeof stores;
export type { Store, StoreDefinition, StoreContext, StoredResult, Rollup, RollupResolution, CheckStateRecord, ConfigRevision, ConfigRevisionInfo, MaintainReport } from './types.ts';
export { StoreOpenError, StoreSchemaTooNewError, StoreClosedError, StaleEpochError } from './errors.ts';
