/**
 * Production entry point: reads the configuration from the environment,
 * starts the service, and shuts it down gracefully on SIGTERM/SIGINT.
 *
 *   CLICKHOUSE_URL=http://clickhouse:8123 CRM_DATABASE_URL=postgres://… TELEMETRY_DATABASE_URL=postgres://… \
 *   KEYCLOAK_ISSUER=https://sso.example/realms/bionicpro KEYCLOAK_AUDIENCE=reports-api pnpm start
 */
import { ConfigError, loadServiceConfig } from './config.js';
import { createLogger } from './logger.js';
import { ensureSchemas } from './engines.js';
import { startService } from './service.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadServiceConfig>;
  try {
    config = loadServiceConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`reports-service: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  if (config.auth.kind === 'demo') {
    logger.warn('DEMO MODE: trusting a local development key; never use this in production', {
      jwks_file: config.auth.jwksFile,
    });
  }
  if (config.ensureSchema) {
    await ensureSchemas(config);
    logger.info('schemas ensured', { raw: config.rawDatabase, marts: config.martDatabase });
  }
  const service = await startService(config, { logger });
  const stop = (signal: string) => {
    logger.info('signal received', { signal });
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `reports-service: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
