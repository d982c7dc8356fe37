import { z } from 'zod';

/** One bad or missing setting: the environment variable and what is wrong with it. */
export interface ConfigProblem {
  readonly setting: string;
  readonly message: string;
}

/**
 * The service cannot start with this environment. Lists every problem at
 * once, each naming the variable, so an operator fixes them in one go.
 */
export class ConfigError extends Error {
  readonly code = 'invalid_config' as const;
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.setting}: ${p.message}`).join('\n')}`);
  }
}

/** Where ClickHouse is: a server over HTTP, or embedded chDB in a data directory. */
export type ClickHouseTarget =
  | {
      readonly kind: 'server';
      readonly url: string;
      readonly username: string | undefined;
      readonly password: string | undefined;
    }
  | {
      readonly kind: 'embedded';
      readonly path: string;
      /** chDB engine arguments (`--name=value`); default `LEAN_CHDB_ARGS`, `[]` for chDB's own defaults. */
      readonly engineArgs?: readonly string[];
    };

/** How access tokens are verified. */
export type AuthConfig =
  | {
      readonly kind: 'keycloak';
      readonly issuer: string;
      readonly audience: readonly string[];
      readonly jwksUrl: string | undefined;
    }
  | {
      /** Demo mode: tokens signed by a local development key, whose public JWKS is read from a file. */
      readonly kind: 'demo';
      readonly issuer: string;
      readonly audience: readonly string[];
      readonly jwksFile: string;
    };

/** Everything the service reads from its environment. */
export interface ServiceConfig {
  readonly host: string;
  readonly port: number;
  readonly clickhouse: ClickHouseTarget;
  /** Database of the marts (the ETL's `martDatabase`, default `bionicpro_reports`). */
  readonly martDatabase: string;
  /** Database of the raw copies of users and telemetry events (the ETL's and CDC sink's `rawDatabase`, default `bionicpro_raw`). */
  readonly rawDatabase: string;
  readonly crmDatabaseUrl: string;
  readonly telemetryDatabaseUrl: string;
  readonly auth: AuthConfig;
  /** `sub` → users.user_uuid (default) or `preferred_username` → users.ldap_username. */
  readonly subjectClaim: 'sub' | 'preferred_username';
  /** Realm role that may read any user's report. */
  readonly adminRole: string;
  /** Realm role that may call the CRM and telemetry ingestion endpoints. */
  readonly ingestRole: string;
  readonly cache: {
    /** 0 disables the report cache. */
    readonly maxEntries: number;
    readonly ttlMs: number | undefined;
    /** How often the marts' data versions are re-read (cache keys include them). */
    readonly versionPollMs: number;
    /** A Redis shared by every instance (reports, data versions, render locks); absent: in this process. */
    readonly redisUrl: string | undefined;
    /** Prefix of every Redis key of this service. */
    readonly redisKeyPrefix: string;
    /** Longest a render holds its cross-instance lock (and another instance waits for it). */
    readonly renderLockMs: number;
  };
  readonly limits: {
    /** Largest JSON body accepted, bytes. */
    readonly maxBodyBytes: number;
    /** Largest CSV body of `populate_base`, bytes. */
    readonly maxCsvBytes: number;
    /** Largest telemetry batch, events. */
    readonly maxBatchEvents: number;
    /**
     * Largest body of `POST /telemetry/events`, bytes: at least
     * {@link BYTES_PER_BATCH_EVENT} per event of `maxBatchEvents`, so a batch
     * of the documented maximum always fits.
     */
    readonly maxBatchBytes: number;
  };
  /**
   * The service's public base URL, given as `servers` in `/openapi.json`;
   * without it the document names no server (clients resolve paths against
   * where they fetched it). Never taken from a request's `Host`.
   */
  readonly publicUrl: string | undefined;
  /** Where the report page's 401/403 page sends a visitor to sign in (the portal); optional. */
  readonly signInUrl: string | undefined;
  /** How long shutdown waits for in-flight requests before closing connections. */
  readonly shutdownTimeoutMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Create missing OLTP and ClickHouse tables at start (fresh environments, docker compose). */
  readonly ensureSchema: boolean;
}

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const identifier = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a plain identifier (letters, digits, underscore)');

const list = z
  .string()
  .trim()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  .pipe(z.array(z.string()).min(1, 'expected at least one value'));

const Environment = z.object({
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PORT: integer(0, 65_535).default(8080),
  CLICKHOUSE_URL: url(['http:', 'https:']).optional(),
  CLICKHOUSE_PATH: z.string().trim().min(1).optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_MART_DATABASE: identifier.default('bionicpro_reports'),
  CLICKHOUSE_RAW_DATABASE: identifier.default('bionicpro_raw'),
  CRM_DATABASE_URL: url(['postgres:', 'postgresql:']),
  TELEMETRY_DATABASE_URL: url(['postgres:', 'postgresql:']),
  KEYCLOAK_ISSUER: url(['http:', 'https:']),
  KEYCLOAK_AUDIENCE: list,
  KEYCLOAK_JWKS_URL: url(['http:', 'https:']).optional(),
  KEYCLOAK_SUBJECT_CLAIM: z.enum(['sub', 'preferred_username']).default('sub'),
  REPORTS_ADMIN_ROLE: identifier.default('reports_admin'),
  INGEST_ROLE: identifier.default('bionicpro_ingest'),
  REPORT_CACHE_MAX_ENTRIES: integer(0, 10_000_000).default(10_000),
  REPORT_CACHE_TTL_MS: integer(1, 7 * 86_400_000).optional(),
  DATA_VERSION_POLL_MS: integer(100, 3_600_000).default(5_000),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'expected up to 64 letters, digits or : _ . -')
    .default('bionicpro:reports:'),
  REPORT_RENDER_LOCK_MS: integer(100, 60_000).default(5_000),
  CHDB_LEAN: z.enum(['0', '1', 'true', 'false']).default('1'),
  MAX_BODY_BYTES: integer(1_024, 64 * 1_048_576).default(1_048_576),
  MAX_CSV_BYTES: integer(1_024, 1_073_741_824).default(64 * 1_048_576),
  MAX_BATCH_EVENTS: integer(1, 1_000_000).default(10_000),
  MAX_BATCH_BYTES: integer(1_024, 1_073_741_824).default(8 * 1_048_576),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  SIGN_IN_URL: z
    .string()
    .trim()
    .refine((value) => {
      if (value.startsWith('/') && !value.startsWith('//')) return true;
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'expected a path (/login) or an http(s) URL')
    .optional(),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  ENSURE_SCHEMA: z.enum(['0', '1', 'true', 'false']).default('0'),
  BIONICPRO_DEMO: z.enum(['0', '1', 'true', 'false']).default('0'),
  DEMO_JWKS_FILE: z.string().trim().min(1).optional(),
  NODE_ENV: z.string().optional(),
});

/** Checks across settings, on the raw values, so they are reported together with the per-setting ones. */
function crossSettingProblems(env: Readonly<Record<string, string>>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const demo = env['BIONICPRO_DEMO'] === '1' || env['BIONICPRO_DEMO'] === 'true';
  const hasUrl = env['CLICKHOUSE_URL'] !== undefined;
  const hasPath = env['CLICKHOUSE_PATH'] !== undefined;
  if (!hasUrl && !hasPath) {
    problems.push({
      setting: 'CLICKHOUSE_URL',
      message:
        'is required: set CLICKHOUSE_URL (a server) or CLICKHOUSE_PATH (an embedded chDB data directory)',
    });
  }
  if (hasUrl && hasPath) {
    problems.push({
      setting: 'CLICKHOUSE_PATH',
      message: 'set only one of CLICKHOUSE_URL and CLICKHOUSE_PATH',
    });
  }
  if (demo && env['DEMO_JWKS_FILE'] === undefined) {
    problems.push({
      setting: 'DEMO_JWKS_FILE',
      message: 'is required in demo mode (the local development JWKS)',
    });
  }
  if (demo && env['NODE_ENV'] === 'production') {
    problems.push({
      setting: 'BIONICPRO_DEMO',
      message: 'demo mode trusts a local development key and is refused when NODE_ENV=production',
    });
  }
  if (!demo && env['DEMO_JWKS_FILE'] !== undefined) {
    problems.push({
      setting: 'DEMO_JWKS_FILE',
      message: 'is only read in demo mode (BIONICPRO_DEMO=1); remove it',
    });
  }
  return problems;
}

/**
 * Body bytes allowed per telemetry event of a full batch. A compact event
 * with every field is about 225 bytes (10,000 events are 2.25 MB); 512 leaves
 * room for an `event_uuid`, long muscle-group names and pretty-printed JSON.
 */
export const BYTES_PER_BATCH_EVENT = 512;

/** The variables {@link loadServiceConfig} reads, for docs and `--help`. */
export const CONFIG_SETTINGS = Object.keys(Environment.shape);

/**
 * Reads the service configuration from environment variables. Every problem
 * (missing, malformed, contradictory) is collected into one {@link ConfigError}.
 *
 * @example
 * ```ts
 * const config = loadServiceConfig(process.env); // throws ConfigError naming e.g. KEYCLOAK_ISSUER
 * ```
 */
export function loadServiceConfig(env: Readonly<Record<string, string | undefined>>): ServiceConfig {
  // Empty strings count as unset: `FOO= node main.js` should not be "malformed".
  const input = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) => Object.hasOwn(Environment.shape, key) && value !== undefined && value !== '',
    ),
  );
  const parsed = Environment.safeParse(input);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => ({
          setting: String(issue.path[0] ?? '(environment)'),
          message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
        }))),
    ...crossSettingProblems(input as Record<string, string>),
  ];
  if (parsed.success && parsed.data.MAX_BATCH_BYTES < parsed.data.MAX_BATCH_EVENTS * BYTES_PER_BATCH_EVENT) {
    problems.push({
      setting: 'MAX_BATCH_BYTES',
      message: `must be at least MAX_BATCH_EVENTS × ${BYTES_PER_BATCH_EVENT} (${parsed.data.MAX_BATCH_EVENTS * BYTES_PER_BATCH_EVENT}) so a batch of MAX_BATCH_EVENTS events fits`,
    });
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const demo = e.BIONICPRO_DEMO === '1' || e.BIONICPRO_DEMO === 'true';
  return {
    host: e.HOST,
    port: e.PORT,
    clickhouse:
      e.CLICKHOUSE_PATH !== undefined
        ? {
            kind: 'embedded',
            path: e.CLICKHOUSE_PATH,
            ...(e.CHDB_LEAN === '0' || e.CHDB_LEAN === 'false' ? { engineArgs: [] } : {}),
          }
        : {
            kind: 'server',
            url: e.CLICKHOUSE_URL as string,
            username: e.CLICKHOUSE_USER,
            password: e.CLICKHOUSE_PASSWORD,
          },
    martDatabase: e.CLICKHOUSE_MART_DATABASE,
    rawDatabase: e.CLICKHOUSE_RAW_DATABASE,
    crmDatabaseUrl: e.CRM_DATABASE_URL,
    telemetryDatabaseUrl: e.TELEMETRY_DATABASE_URL,
    auth: demo
      ? {
          kind: 'demo',
          issuer: e.KEYCLOAK_ISSUER,
          audience: e.KEYCLOAK_AUDIENCE,
          jwksFile: e.DEMO_JWKS_FILE as string,
        }
      : {
          kind: 'keycloak',
          issuer: e.KEYCLOAK_ISSUER,
          audience: e.KEYCLOAK_AUDIENCE,
          jwksUrl: e.KEYCLOAK_JWKS_URL,
        },
    subjectClaim: e.KEYCLOAK_SUBJECT_CLAIM,
    adminRole: e.REPORTS_ADMIN_ROLE,
    ingestRole: e.INGEST_ROLE,
    cache: {
      maxEntries: e.REPORT_CACHE_MAX_ENTRIES,
      ttlMs: e.REPORT_CACHE_TTL_MS,
      versionPollMs: e.DATA_VERSION_POLL_MS,
      redisUrl: e.REDIS_URL,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
      renderLockMs: e.REPORT_RENDER_LOCK_MS,
    },
    limits: {
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxCsvBytes: e.MAX_CSV_BYTES,
      maxBatchEvents: e.MAX_BATCH_EVENTS,
      maxBatchBytes: e.MAX_BATCH_BYTES,
    },
    publicUrl: e.PUBLIC_URL,
    signInUrl: e.SIGN_IN_URL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    ensureSchema: e.ENSURE_SCHEMA === '1' || e.ENSURE_SCHEMA === 'true',
  };
}
