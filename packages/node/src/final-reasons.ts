import type { RejectReason } from '@pocnet/protocol'

/** Reasons a later attempt cannot fix: the outbox stops and records the rejection. */
export const FINAL_REASONS: ReadonlySet<RejectReason> = new Set([
  'not-a-member',
  'bad-signature',
  'not-for-me',
  'too-large',
  'too-old',
  'malformed',
  'replay',
  // the envelope is sealed once and resent as it is: a classical one stays classical
  'downgrade',
  // the same attachments would pass the same caps: the sender must send less
  'attachment-too-large',
  'over-quota',
])
