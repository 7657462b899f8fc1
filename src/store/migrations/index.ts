/**
 * The schema migrations, as code in a fixed list (not a folder read at run time, so they work
 * the same under tsx, in a bundle or in a test). A migration's name starts with its schema
 * version: `0001-initial`. Add one file and one line below; never edit a released migration.
 */
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import initial from './0001-initial.ts';
import incidents from './0002-incidents.ts';
import bans from './0003-bans.ts';
import incidentKinds from './0004-incident-kinds.ts';
import auth from './0005-auth.ts';
import outbox from './0006-outbox.ts';
import guard from './0007-guard.ts';
import userPrefs from './0008-user-prefs.ts';
import incidentPages from './0009-incident-pages.ts';
import approvalPlans from './0010-approval-plans.ts';
import resultRetention from './0011-result-retention.ts';

/** The SQL dialects the shared store code speaks. */
export type SqlDialect = 'sqlite' | 'postgres';

/** A migration that may need to know the dialect (e.g. for auto-increment ids). */
export interface StoreMigration {
  up(db: Kysely<any>, dialect: SqlDialect): Promise<void>;
  down?(db: Kysely<any>, dialect: SqlDialect): Promise<void>;
}

export const migrations: Record<string, StoreMigration> = {
  '0001-initial': initial,
  '0002-incidents': incidents,
  '0003-bans': bans,
  '0004-incident-kinds': incidentKinds,
  '0005-auth': auth,
  '0006-outbox': outbox,
  '0007-guard': guard,
  '0008-user-prefs': userPrefs,
  '0009-incident-pages': incidentPages,
  '0010-approval-plans': approvalPlans,
  '0011-result-retention': resultRetention,
};

/** The schema version a migration name stands for: `0003-rollups` is 3. */
export function versionOf(name: string): number {
  const n = Number.parseInt(name, 10);
  return Number.isFinite(n) ? n : 0;
}

/** Adapts our migrations to Kysely's Migrator for one dialect. */
export function migrationProvider(dialect: SqlDialect, set: Record<string, StoreMigration> = migrations): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(set)) {
        const down = m.down;
        out[name] = { up: (db) => m.up(db, dialect), ...(down ? { down: (db: Kysely<any>) => down(db, dialect) } : {}) };
      }
      return out;
    },
  };
}
