/*
 * The roles and the shape of a user record, apart from the user store: the route declarations
 * need them, and they are imported by control clients that must not load @pocnet/crypto.
 */

/** Who may do what through the control API. Investigators reach only their own intake drafts (routes/intake.ts). */
export const ROLES = ['operator', 'contact', 'auditor', 'supervisor', 'investigator'] as const
export type Role = (typeof ROLES)[number]

export interface UserRecord {
  name: string
  role: Role
  /** SHA-256 of the token, hex: tokens are 256-bit random, so a slow hash adds nothing. */
  tokenHash: string
  createdAt: number
  /** When the token stops working, ms since the epoch; absent: it does not expire. */
  expiresAt?: number
}
