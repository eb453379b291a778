import type { PeerId } from '@libp2p/interface'
import { CborDecodeError, CborTooLargeError } from '@pocnet/protocol'
import { ExchangeError, streamFailureOf } from '@pocnet/protocol/reqresp'
import { DirectoryError, RecordFieldError, RecordRejectedError } from './errors.ts'

/**
 * Which exchange a rejection happened in: `dht`, a `/pocnet-dir/` record kad-dht was asked to
 * store (PUT_VALUE) or fetched from a peer, refused by the validator; `dht-message`, a kad-dht
 * stream cut for its size (capDhtStream); `dir-fetch`, a request or answer on
 * `/pocnet/dir-fetch/1.0.0`; `roster`, a request or answer on `/pocnet/roster/1.0.0`.
 */
export type RejectionProtocol = 'dht' | 'dht-message' | 'dir-fetch' | 'roster'

/** What `onRejected` hears: a reason code, never the refused bytes or any field of them. */
export interface Rejection {
  protocol: RejectionProtocol
  /**
   * A stable, short code: a record problem (`bad-signature`, `stale`, `not-a-member`, … — see
   * `RecordProblem`), a roster verification failure (`bad-signature`, `below-threshold`,
   * `unknown-signer`, `revoked-signer`, `bad-link`, `bad-change`, `fork`, `genesis-mismatch`),
   * how the exchange itself failed (`deadline`, `decode-failed`, `frame-too-large`, … — the
   * EXCHANGE_FAILURES of @pocnet/protocol/reqresp); and, for `roster`, `pull-suppressed`: a
   * peer's claim to be ahead that was not followed (docs/directory.md §1.4), common between honest
   * nodes too.
   */
  reason: string
  /** The peer, when the exchange had one (kad-dht's validator is not told who sent a record). */
  peer?: PeerId
  /** The country whose record was refused, for `dht`. */
  country?: string
}

export type RejectionListener = (rejection: Rejection) => void

const ROSTER_REASONS: Record<string, string> = {
  ERR_ROSTER_FORMAT: 'malformed',
  ERR_ROSTER_LINK: 'bad-link',
  ERR_ROSTER_THRESHOLD: 'below-threshold',
  ERR_ROSTER_SIGNATURE: 'bad-signature',
  ERR_ROSTER_UNKNOWN_SIGNER: 'unknown-signer',
  ERR_ROSTER_REVOKED_SIGNER: 'revoked-signer',
  ERR_ROSTER_CHANGE: 'bad-change',
  ERR_ROSTER_FORK: 'fork',
  ERR_ROSTER_GENESIS_MISMATCH: 'genesis-mismatch',
}

/** The reason code of an error a peer exchange ended with (see `Rejection.reason`). */
export function rejectionReason(err: unknown): string {
  if (err instanceof ExchangeError) return err.failure
  if (err instanceof RecordRejectedError) return err.problem
  if (err instanceof RecordFieldError) return 'malformed'
  if (err instanceof DirectoryError) return ROSTER_REASONS[err.code] ?? 'malformed'
  if (err instanceof CborTooLargeError) return 'too-large'
  if (err instanceof CborDecodeError) return 'malformed'
  // anything else failed outside the request/response layer: named as a stream error would be
  return streamFailureOf(err)
}
