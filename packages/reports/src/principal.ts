/**
 * The verified caller of a report, independent of how it was authenticated:
 * the Keycloak verifier produces it, the report scope authorises with it.
 */
import type { JWTPayload } from 'jose';

/**
 * Who a token speaks for, in the CRM's terms (see docs/reports.md, "Access"): Keycloak's `sub` is the
 * `users.user_uuid`; its `preferred_username` is `users.ldap_username`.
 */
export type ReportSubject =
  | { readonly kind: 'user_uuid'; readonly value: string }
  | { readonly kind: 'ldap_username'; readonly value: string };

/** A verified caller. */
export interface ReportPrincipal {
  readonly subject: ReportSubject;
  /** Holds one of the configured admin roles: may read any user's report. */
  readonly isAdmin: boolean;
  /** Realm roles (plus client roles of `roleClientId`, when configured). */
  readonly roles: readonly string[];
  readonly expiresAt: Date;
  /** The verified claims, for logging and custom policies. */
  readonly claims: Readonly<JWTPayload>;
}
