import { toHex } from '@pocnet/crypto'
import { MAX_RECEIPT_BYTES } from '@pocnet/protocol'
import { LEDGER_ORIGIN_RULE, parseLedgerOrigin } from '@pocnet/protocol/formats'
import { type BundleHeader, readBundle } from '../bundle.ts'
import { decodeEntry, type LedgerEntry } from '../entry.ts'
import { BundleFormatError } from '../errors.ts'
import { KEY_ROTATION_KIND, readKeyRotation } from '../key-rotation.ts'
import { EMPTY_ROOT, hashLeaf, MerkleFrontier } from '../merkle.ts'

/*
 * What one node's export bundle says about its message traffic with one counterpart country:
 * the messages it sent there (with the receipt or the outbox's giving up that followed) and the
 * messages it received from there. Read from a bundle that was verified first (see reconcile.ts).
 */

/** The counterpart's signed receipt as the sender's ledger stores it (a `receipt` entry). */
export interface ReceiptRecord {
  seq: number
  time: number
  /** `accepted` or `rejected`, as the entry's detail says. */
  status: string
  /** When the counterpart says it stored the message (its clock), from the entry's detail. */
  receivedAt?: number
  reason?: string
  /** SHA-256 of the receipt bytes: the entry's blob. */
  hash?: Uint8Array
  /** The receipt bytes, when the bundle carries blob bytes. */
  bytes?: Uint8Array
}

/** A `message-sent` entry to the counterpart, with what became of the message. */
export interface SentRecord {
  messageId: string
  seq: number
  time: number
  envelopeHash?: Uint8Array
  /** The first receipt recorded for it. */
  receipt?: ReceiptRecord
  /** The outbox gave up on it (`delivery-failed`). */
  gaveUp?: { seq: number; time: number; reason: string }
}

/** A `message-received` entry from the counterpart. */
export interface ReceivedRecord {
  messageId: string
  seq: number
  time: number
  envelopeHash?: Uint8Array
  /** SHA-256 of the receipt this node answered with. */
  receiptHash?: Uint8Array
  /** When the sender sealed it (the sender's clock, from the signed envelope). */
  createdAt?: number
}

/** Whose ledger a bundle is: its origin names the network and the country (`checkpointOrigin`). */
export interface BundleOwner {
  origin: string
  network: string
  country: string
  publicKey: Uint8Array
}

/** A key of the ledger's node and when it came into force (its rotation entry's time). */
export interface KeyInForce {
  publicKey: Uint8Array
  /** Time of the key-rotation entry that began it; undefined for the key the ledger was created with. */
  from?: number
}

export interface BundleTraffic extends BundleOwner {
  /** The node's keys in the order its key-rotation entries gave them, the first one first. */
  keys: KeyInForce[]
  entries: number
  /** Root of the entries read: must be the root the verifier vouched for. */
  root: Uint8Array
  /** Time of the first entry (when the ledger begins); the export time for an empty ledger. */
  begins: number
  exportedAt: number
  /** Whether the bundle carries blob bytes, so receipts can be checked by their signature. */
  blobBytes: boolean
  /** Messages sent to the counterpart, by message id (the first entry of an id). */
  sent: Map<string, SentRecord>
  /** Messages received from the counterpart, by message id (the first entry of an id). */
  received: Map<string, ReceivedRecord>
}

/** The network and country of a node's ledger origin, `pocnet.invalid/<network>/<CC>`. */
export function ownerOfOrigin(origin: string): { network: string; country: string } {
  const owner = parseLedgerOrigin(origin)
  if (owner === undefined)
    throw new BundleFormatError(`origin "${origin}" is not a node's ledger: must be ${LEDGER_ORIGIN_RULE}`)
  return owner
}

/** Reads a bundle's header: whose ledger it is, before it is verified against that country's key. */
export async function readBundleOwner(path: string): Promise<BundleOwner & { header: BundleHeader }> {
  for await (const batch of readBundle(path)) {
    const first = batch[0]
    if (first?.type !== 'header') break
    const { origin, publicKey } = first.header
    return { ...ownerOfOrigin(origin), origin, publicKey, header: first.header }
  }
  throw new BundleFormatError('the file does not start with a header record')
}

function numberIn(detail: LedgerEntry['detail'], key: string): number | undefined {
  const value = detail?.[key]
  return typeof value === 'number' ? value : undefined
}

function textIn(detail: LedgerEntry['detail'], key: string): string | undefined {
  const value = detail?.[key]
  return typeof value === 'string' ? value : undefined
}

/** Reads the traffic with `counterpart` from a bundle, and the root of all its entries. */
export async function readTraffic(path: string, counterpart: string): Promise<BundleTraffic> {
  let header: BundleHeader | undefined
  const frontier = new MerkleFrontier()
  // receipts are small: keep the bytes of blobs that could be one until the entries name them
  const smallBlobs = new Map<string, Uint8Array>()
  let blobBytes = false
  let begins: number | undefined
  const sent = new Map<string, SentRecord>()
  const received = new Map<string, ReceivedRecord>()
  const keys: KeyInForce[] = []
  const take = (entry: LedgerEntry): void => {
    // the verifier has checked the rotations (signatures, the key then in force)
    if (entry.kind === KEY_ROTATION_KIND && header !== undefined)
      keys.push({ publicKey: readKeyRotation(entry, header.origin).newKey, from: entry.time })
    const id = entry.messageId
    if (entry.counterpart !== counterpart || id === undefined) return
    switch (entry.kind) {
      case 'message-sent':
        if (!sent.has(id))
          sent.set(id, {
            messageId: id,
            seq: entry.seq,
            time: entry.time,
            ...(entry.blobs[0] === undefined ? {} : { envelopeHash: entry.blobs[0] }),
          })
        break
      case 'message-received':
        if (!received.has(id)) {
          const createdAt = numberIn(entry.detail, 'createdAt')
          received.set(id, {
            messageId: id,
            seq: entry.seq,
            time: entry.time,
            ...(entry.blobs[0] === undefined ? {} : { envelopeHash: entry.blobs[0] }),
            ...(entry.blobs[1] === undefined ? {} : { receiptHash: entry.blobs[1] }),
            ...(createdAt === undefined ? {} : { createdAt }),
          })
        }
        break
      case 'receipt': {
        const message = sent.get(id)
        if (message === undefined || message.receipt !== undefined) break
        const hash = entry.blobs[0]
        const bytes = hash === undefined ? undefined : smallBlobs.get(toHex(hash))
        const receivedAt = numberIn(entry.detail, 'receivedAt')
        const reason = textIn(entry.detail, 'reason')
        message.receipt = {
          seq: entry.seq,
          time: entry.time,
          status: textIn(entry.detail, 'status') ?? '',
          ...(receivedAt === undefined ? {} : { receivedAt }),
          ...(reason === undefined ? {} : { reason }),
          ...(hash === undefined ? {} : { hash }),
          ...(bytes === undefined ? {} : { bytes }),
        }
        break
      }
      case 'delivery-failed': {
        const message = sent.get(id)
        if (message !== undefined && message.gaveUp === undefined)
          message.gaveUp = { seq: entry.seq, time: entry.time, reason: textIn(entry.detail, 'reason') ?? '' }
        break
      }
    }
  }
  for await (const batch of readBundle(path))
    for (const item of batch) {
      if (item.type === 'header') header = item.header
      else if (item.type === 'blob' && item.bytes !== undefined) {
        blobBytes = true
        if (item.bytes.length <= MAX_RECEIPT_BYTES) smallBlobs.set(toHex(item.hash), item.bytes)
      } else if (item.type === 'entry') {
        frontier.append(hashLeaf(item.bytes))
        const entry = decodeEntry(item.bytes)
        begins ??= entry.time
        take(entry)
      }
    }
  if (header === undefined) throw new BundleFormatError('the file has no header record')
  return {
    ...ownerOfOrigin(header.origin),
    origin: header.origin,
    publicKey: header.publicKey,
    keys: [{ publicKey: header.publicKey }, ...keys],
    entries: frontier.size,
    root: frontier.size === 0 ? EMPTY_ROOT : frontier.root(),
    begins: begins ?? header.exportedAt,
    exportedAt: header.exportedAt,
    blobBytes,
    sent,
    received,
  }
}
