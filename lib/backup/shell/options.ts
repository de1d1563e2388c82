/** Options of the restore step of each engine. */
export interface RestoreOptions {
  /** PostgreSQL: restore into a new database (built under a temporary name, renamed into place when complete). */
  readonly createDatabase: boolean;
  /** PostgreSQL custom format: drop objects before re-creating them. */
  readonly clean: boolean;
  /** PostgreSQL custom format: skip ownership and privileges (`--no-owner --no-privileges`). */
  readonly noOwner: boolean;
  /** Redis: refuse to run while the server answers. */
  readonly checkStopped: boolean;
}
