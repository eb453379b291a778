/**
 * Why a receiver refuses an envelope: the reason codes of rejected receipts, as they appear on
 * the wire (docs/protocol.md §7). `open` decides the first seven and "downgrade" (a classical
 * envelope from a sender that knows this node's X-Wing key, §5); the receiving node
 * decides "rate-limited", "replay" (a message id it has already seen with other bytes) and
 * "try-later" (it cannot check the envelope now, e.g. it has no directory record of the
 * sender yet), "attachment-too-large" (an attachment, or all of a message's, over its caps) and
 * "over-quota" (its attachments would pass its disk quota for received attachments). "rate-limited", "too-new" and "try-later" invite a retry; the others are final.
 */
export const REJECT_REASONS = [
  'not-a-member',
  'bad-signature',
  'not-for-me',
  'too-large',
  'too-old',
  'too-new',
  'malformed',
  'rate-limited',
  'replay',
  'try-later',
  'downgrade',
  'attachment-too-large',
  'over-quota',
] as const

export type RejectReason = (typeof REJECT_REASONS)[number]

export function isRejectReason(value: unknown): value is RejectReason {
  return (REJECT_REASONS as readonly unknown[]).includes(value)
}
