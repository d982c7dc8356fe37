export {
  AccessDeniedError,
  type AccessDenialReason,
  type AuthenticationFailure,
  AuthenticationError,
  InvalidIdentifierError,
  ReportAssemblyError,
  ReportParameterError,
  UnscopedQueryError,
} from './errors.js';
export { reportErrorResponse } from './error-response.js';
export { createJwksKeyStore, type JwksKeyStore, type JwksKeyStoreOptions } from './jwks-key-store.js';
export {
  ALLOWED_TOKEN_ALGORITHMS,
  bearerToken,
  createKeycloakVerifier,
  type KeycloakVerifier,
  type KeycloakVerifierOptions,
  type ReportPrincipal,
  type ReportSubject,
  type SubjectClaim,
  type TokenAlgorithm,
} from './keycloak-verifier.js';
export {
  assertReportScope,
  parseUserId,
  type ReportScope,
  resolveReportScope,
  type SubjectDirectory,
  trustedReportScope,
} from './report-scope.js';
