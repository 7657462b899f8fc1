/**
 * Why a store could not be opened, as typed values: each says which database, what went wrong
 * and what the operator can do, because a monitoring daemon that will not start must say why.
 */

/** The database could not be created, opened or migrated. */
export class StoreOpenError extends Error {
  constructor(
    /** The file path or server the store tried to open. */
    readonly location: string,
    /** What went wrong, e.g. `cannot create the directory /var/lib/mamoru: EACCES`. */
    readonly reason: string,
    /** What to do about it. */
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot open the store at ${location}: ${reason}. ${hint}`, options);
    this.name = 'StoreOpenError';
  }
}

/** The database was written by a newer mamoru: opening it could corrupt what that version keeps. */
export class StoreSchemaTooNewError extends StoreOpenError {
  constructor(
    location: string,
    /** Schema version found in the database. */
    readonly databaseVersion: number,
    /** Latest schema version this code knows. */
    readonly knownVersion: number,
    /** Migrations in the database that this code does not have. */
    readonly unknownMigrations: string[],
  ) {
    super(
      location,
      `the database has schema version ${databaseVersion} (migrations ${unknownMigrations.join(', ')}) but this mamoru knows only up to version ${knownVersion}`,
      'Run the newer mamoru that wrote it, or point the store at another file or database.',
    );
    this.name = 'StoreSchemaTooNewError';
  }
}

/** write() or appendResults() after close(). */
export class StoreClosedError extends Error {
  constructor(location: string) {
    super(`the store at ${location} is closed`);
    this.name = 'StoreClosedError';
  }
}

/** A brain whose lead is older than the store's epoch tried to act: it no longer leads. */
export class StaleEpochError extends Error {
  constructor(
    readonly mine: number,
    readonly current: number,
  ) {
    super(`this brain's lead (epoch ${mine}) is older than the store's (epoch ${current}): another brain leads`);
    this.name = 'StaleEpochError';
  }
}
