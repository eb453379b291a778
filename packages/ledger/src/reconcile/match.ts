import { bytesEqual, toHex } from '@pocnet/crypto'
import { verifyReceipt } from '@pocnet/protocol'
import type { BundleTraffic, KeyInForce, ReceivedRecord, SentRecord } from './traffic.ts'

/*
 * The matching rules of reconciliation (docs/ledger.md §11), on two ledgers' traffic with each
 * other. Pure: no files, no clocks.
 */

export type MismatchKind =
  | 'sent-not-received'
  | 'received-not-sent'
  | 'envelope-differs'
  | 'no-receipt'
  | 'bad-receipt'

/** A message the two ledgers disagree about. */
export interface Mismatch {
  kind: MismatchKind
  messageId: string
  /** The sending country. */
  from: string
  /** The receiving country. */
  to: string
  /** The sender's `message-sent` entry, when its ledger has one. */
  sentSeq?: number
  /** The receiver's `message-received` entry, when its ledger has one. */
  receivedSeq?: number
  reason: string
}

/** A message one ledger has and the other cannot have yet: it falls outside their common span. */
export interface OutsideOverlap {
  messageId: string
  reason: string
}

/** The messages of one direction, sender to receiver. */
export interface DirectionReport {
  from: string
  to: string
  /** Messages the sender's ledger records as sent to the receiver. */
  sent: number
  /** Messages the receiver's ledger records as received from the sender. */
  received: number
  /** Sent and received with the same envelope hash, and the receiver's receipt in the sender's ledger. */
  matched: number
  /** How the matched messages' receipts were checked: by signature (blob bytes) or by hash. */
  receipts: { signatureChecked: number; hashMatched: number }
  /** Still in the sender's outbox at its export: no receipt, not given up, not received. */
  pending: string[]
  /** The sender's outbox gave up (expired) and the receiver has no record of them. */
  expired: string[]
  /** The receiver refused them with a signed receipt and has no record of them. */
  rejected: string[]
  /** Outside the two ledgers' common span: neither a match nor a mismatch yet. */
  outsideOverlap: OutsideOverlap[]
}

export interface TrafficReport {
  /** The span both ledgers cover: from the later beginning to the earlier export. */
  overlap: { from: number; to: number }
  /** A to B, then B to A. */
  directions: [DirectionReport, DirectionReport]
  mismatches: Mismatch[]
}

const iso = (ms: number): string => new Date(ms).toISOString()
const hex = (hash: Uint8Array | undefined): string => (hash === undefined ? 'none' : toHex(hash))

/**
 * The receiver's keys that may have signed a receipt of time `at` (its clock): the key in force
 * then, and the one before it when `at` is the very time of a rotation (either side of it).
 */
function keysAt(keys: readonly KeyInForce[], at: number): Uint8Array[] {
  let i = 0
  while (i + 1 < keys.length && keys[i + 1]!.from! <= at) i++
  const candidates = [keys[i]!.publicKey]
  if (i > 0 && keys[i]!.from === at) candidates.push(keys[i - 1]!.publicKey)
  return candidates
}

/**
 * Why the receipt a sender holds does not vouch for the message, or undefined when it does.
 * With the receipt's bytes: its signature under the receiver's key, for this network and this
 * envelope, saying what the entry says. Without them: the receiver's own signed ledger must
 * record answering with exactly those bytes.
 */
function receiptProblem(
  message: SentRecord,
  from: string,
  receiver: BundleTraffic,
  network: string,
  recordedHash: Uint8Array | undefined,
): string | undefined {
  const receipt = message.receipt!
  const where = `the receipt in ${from}'s ledger (entry ${receipt.seq})`
  if (receipt.bytes !== undefined) {
    const bytes = receipt.bytes
    const results = keysAt(receiver.keys, receipt.receivedAt ?? receipt.time).map((key) =>
      verifyReceipt(bytes, {
        receiverPublicKey: key,
        networkId: network,
        ...(message.envelopeHash === undefined ? {} : { envelopeHash: message.envelopeHash }),
      }),
    )
    const checked = results.find((r) => r.ok) ?? results[0]!
    if (!checked.ok)
      return `${where} does not verify under ${receiver.country}'s key of that time: ${checked.message}`
    if (checked.receipt.status !== receipt.status)
      return `${where} is recorded as ${receipt.status || 'no status'}, but the signed receipt says ${checked.receipt.status}`
    return undefined
  }
  if (receipt.hash !== undefined && recordedHash !== undefined && bytesEqual(receipt.hash, recordedHash))
    return undefined
  return `${where} (${hex(receipt.hash)}) is not the one ${receiver.country}'s ledger records answering with (${hex(recordedHash)}), and the bundle holds no receipt bytes to check its signature`
}

function judgeDirection(
  sender: BundleTraffic,
  receiver: BundleTraffic,
  network: string,
): { direction: DirectionReport; mismatches: Mismatch[] } {
  const from = sender.country
  const to = receiver.country
  const direction: DirectionReport = {
    from,
    to,
    sent: sender.sent.size,
    received: receiver.received.size,
    matched: 0,
    receipts: { signatureChecked: 0, hashMatched: 0 },
    pending: [],
    expired: [],
    rejected: [],
    outsideOverlap: [],
  }
  const mismatches: Mismatch[] = []
  const mismatch = (
    kind: MismatchKind,
    s: SentRecord | undefined,
    r: ReceivedRecord | undefined,
    reason: string,
  ) =>
    mismatches.push({
      kind,
      messageId: (s ?? r)!.messageId,
      from,
      to,
      ...(s === undefined ? {} : { sentSeq: s.seq }),
      ...(r === undefined ? {} : { receivedSeq: r.seq }),
      reason,
    })
  const outside = (messageId: string, reason: string) => direction.outsideOverlap.push({ messageId, reason })

  // a time equal to an export's may fall on either side of it: not judged
  for (const s of sender.sent.values()) {
    const r = receiver.received.get(s.messageId)
    const receipt = s.receipt
    if (r !== undefined) {
      if (
        s.envelopeHash === undefined ||
        r.envelopeHash === undefined ||
        !bytesEqual(s.envelopeHash, r.envelopeHash)
      )
        mismatch(
          'envelope-differs',
          s,
          r,
          `${from} recorded sending envelope ${hex(s.envelopeHash)}, ${to} recorded receiving ${hex(r.envelopeHash)}`,
        )
      else if (receipt === undefined) {
        if (r.time >= sender.exportedAt)
          outside(
            s.messageId,
            `${to} received it after ${from}'s export: the receipt is not in that export yet`,
          )
        else
          mismatch(
            'no-receipt',
            s,
            r,
            `${to} received it at ${iso(r.time)}, but ${from}'s ledger holds no receipt from ${to}${
              s.gaveUp === undefined
                ? ` (still in ${from}'s outbox at its export)`
                : ` (${from}'s outbox gave up on it: ${s.gaveUp.reason || 'no reason'})`
            }`,
          )
      } else {
        const problem = receiptProblem(s, from, receiver, network, r.receiptHash)
        if (problem !== undefined) mismatch('bad-receipt', s, r, problem)
        else if (receipt.status !== 'accepted')
          mismatch(
            'bad-receipt',
            s,
            r,
            `${to}'s receipt says ${receipt.status}, but ${to}'s ledger records receiving it`,
          )
        else {
          direction.matched++
          if (receipt.bytes !== undefined) direction.receipts.signatureChecked++
          else direction.receipts.hashMatched++
        }
      }
      continue
    }
    // the receiver has no record of it
    if (receipt !== undefined && receipt.bytes !== undefined) {
      const problem = receiptProblem(s, from, receiver, network, undefined)
      if (problem !== undefined) {
        mismatch('bad-receipt', s, undefined, problem)
        continue
      }
    }
    if (receipt?.status === 'accepted') {
      const at = receipt.receivedAt ?? receipt.time
      if (at >= receiver.exportedAt)
        outside(
          s.messageId,
          `${to} received it at ${iso(at)}, after its export (${iso(receiver.exportedAt)})`,
        )
      else if (at < receiver.begins)
        outside(
          s.messageId,
          `${to} received it at ${iso(at)}, before its ledger begins (${iso(receiver.begins)})`,
        )
      else
        mismatch(
          'sent-not-received',
          s,
          undefined,
          `${from} holds ${to}'s receipt saying it was received at ${iso(at)}, but ${to}'s ledger has no such message`,
        )
    } else if (receipt !== undefined) direction.rejected.push(s.messageId)
    else if (s.gaveUp !== undefined) direction.expired.push(s.messageId)
    else direction.pending.push(s.messageId)
  }

  for (const r of receiver.received.values()) {
    if (sender.sent.has(r.messageId)) continue
    // sealed by the sender (its clock) before its ledger took the message-sent entry
    const sealed = r.createdAt ?? r.time
    if (sealed >= sender.exportedAt)
      outside(
        r.messageId,
        `${from} sealed it at ${iso(sealed)}, after its export (${iso(sender.exportedAt)})`,
      )
    else if (sealed < sender.begins)
      outside(
        r.messageId,
        `${from} sealed it at ${iso(sealed)}, before its ledger begins (${iso(sender.begins)})`,
      )
    else
      mismatch(
        'received-not-sent',
        undefined,
        r,
        `${to} recorded receiving it from ${from} at ${iso(r.time)}, but ${from}'s ledger has no such message sent`,
      )
  }
  return { direction, mismatches }
}

/** Reconciles the traffic of two ledgers, each read with the other's country as counterpart. */
export function reconcileTraffic(a: BundleTraffic, b: BundleTraffic, network: string): TrafficReport {
  const ab = judgeDirection(a, b, network)
  const ba = judgeDirection(b, a, network)
  return {
    overlap: { from: Math.max(a.begins, b.begins), to: Math.min(a.exportedAt, b.exportedAt) },
    directions: [ab.direction, ba.direction],
    mismatches: [...ab.mismatches, ...ba.mismatches],
  }
}
