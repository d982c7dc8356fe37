import { type IncomingUser, type TableDefinition, tables, User, validateRow } from '@bionicpro/models';
import { insertRows, type PgQueryable } from './postgres-writer.js';

/** A user with this e-mail already exists (HTTP 409). */
export class DuplicateUserError extends Error {
  readonly code = 'duplicate_user' as const;
  readonly status = 409 as const;
  override readonly name = 'DuplicateUserError';
  constructor(readonly field: 'email' | 'user_uuid') {
    super(`a user with this ${field} already exists`);
  }
}

const USER_COLUMNS = Object.keys(User.shape);
const PROFILE_COLUMNS = [
  'name',
  'email',
  'age',
  'gender',
  'country',
  'address',
  'phone',
  'ldap_username',
] as const;

/** The CRM API over crm_db.users. */
export interface CrmUsers {
  /**
   * Writes a new user. `id`, `user_uuid`, `registered_at` and `updated_at` are
   * set by the database, never by the client.
   */
  create(user: IncomingUser): Promise<User>;
  /** The user with this id, or undefined. */
  byId(id: number): Promise<User | undefined>;
}

/**
 * CRM users over a PostgreSQL pool (crm_db).
 *
 * @example
 * ```ts
 * const users = crmUsers(new pg.Pool({ connectionString: config.crmDatabaseUrl }));
 * const user = await users.create(IncomingUser.parse(body)); // user.registered_at set by the server
 * ```
 */
export function crmUsers(db: PgQueryable, table: TableDefinition = tables.users): CrmUsers {
  return {
    async create(user) {
      try {
        const { returned } = await insertRows(db, table, PROFILE_COLUMNS, [user], {
          returning: USER_COLUMNS,
        });
        return validateRow(User, returned[0], { model: 'users' });
      } catch (error) {
        const pgError = error as { code?: string; constraint?: string };
        if (pgError.code === '23505') {
          throw new DuplicateUserError(pgError.constraint?.includes('uuid') ? 'user_uuid' : 'email');
        }
        throw error;
      }
    },
    async byId(id) {
      const { rows } = await db.query(`SELECT ${USER_COLUMNS.join(', ')} FROM ${table.name} WHERE id = $1`, [
        id,
      ]);
      return rows[0] === undefined ? undefined : validateRow(User, rows[0], { model: 'users' });
    },
  };
}
