import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { NodeIdentity, sha256 } from '@pocnet/crypto'
import { type Receipt, type RejectReason, seal, verifyReceipt } from '@pocnet/protocol'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_INBOUND_DELIVERY_STREAMS } from '../src/constants.ts'
import { DELIVERY_PROTOCOL, type PocnetDaemon } from '../src/index.ts'
import {
  endlessLengthPrefix,
  HTTP_GARBAGE,
  keysOf,
  lengthPrefixed,
  sealByHand,
  withBadOuterSignature,
} from './fixtures/craft.ts'
import {
  createTestFederation,
  startCollectingWarnings,
  TEST_NETWORK,
  type TestFederation,
  until,
} from './fixtures/federation.ts'

/**
 * Issue 6, "Hostile input": each case against a running node (FR, the victim), sent by a
 * roster member turned hostile (DE, the attacker), while a legitimate member (IT) keeps
 * delivering to the victim. Every case checks the designed outcome (a signed rejection
 * with the right reason, or the stream cut off), that it was counted, that nothing was
 * stored, and that the legitimate peer is still served.
 */

const LEGIT = 0
const VICTIM = 1
const ATTACKER = 2
/** A member in the roster that never starts: no one can find its directory record. */
const ABSENT = 3
/** The victim's read deadline, short so that the slow-sender case ends soon. */
const READ_TIMEOUT_MS = 5_000
/** Failure guard for every wait: nothing here should come near it. */
const GUARD_MS = 20_000

type LengthPrefixed = ReturnType<typeof lpStream<Stream>>

interface LogLine {
  event: string
  peer?: string
  reason?: string
  detail?: string
}

describe('node under hostile input, serving a legitimate peer throughout', () => {
  let fed: TestFederation
  let legit: PocnetDaemon
  let victim: PocnetDaemon
  let attacker: PocnetDaemon
  const logs: LogLine[] = []

  beforeAll(async () => {
    fed = await createTestFederation(['IT', 'FR', 'DE', 'PL'], (config, i) => {
      if (i === VICTIM) config.delivery.readTimeoutMs = READ_TIMEOUT_MS
    })
    legit = await fed.start(LEGIT)
    attacker = await fed.start(ATTACKER)
    // Started here rather than by the fixture, to read its warnings: the reason a stream was cut.
    victim = await startCollectingWarnings(fed, VICTIM, logs)
    await until(
      () => ['IT', 'DE'].every((c) => victim.health().connectedCountries.includes(c)),
      'the victim to connect to IT and DE',
      GUARD_MS,
    )
    await Promise.all([legit, victim, attacker].map((d) => d.publishOwnRecord()))
    await Promise.all([
      victim.directory.lookup('IT'),
      victim.directory.lookup('DE'),
      legit.directory.lookup('FR'),
      attacker.directory.lookup('FR'),
    ])
    await legitDelivers('legit-warmup')
  }, 60_000)

  afterAll(async () => {
    await victim?.stop()
    await fed?.cleanup()
  })

  // ---- helpers ------------------------------------------------------------------------

  /** IT sends one message to FR through its outbox; FR stores it and IT gets an accepted receipt. */
  async function legitDelivers(caseId: string, count = 1): Promise<void> {
    const items = await Promise.all(
      Array.from({ length: count }, () =>
        legit.outbox.submit({
          to: 'FR',
          caseId,
          kind: 'test',
          payload: randomBytes(64),
          actor: 'user:legit',
        }),
      ),
    )
    await until(
      async () => (await legit.ledger.query({ kind: 'receipt', caseId })).length === count,
      `receipts for the legitimate messages of ${caseId}`,
      GUARD_MS,
    )
    for (const r of await legit.ledger.query({ kind: 'receipt', caseId })) {
      expect(r.detail?.status, `the victim's receipt for a legitimate message of ${caseId}`).toBe('accepted')
    }
    const stored = await victim.ledger.query({ kind: 'message-received', caseId })
    expect(stored.map((e) => e.messageId).sort()).toEqual(items.map((i) => i.messageId).sort())
  }

  /** Everything the victim ever stored that came from the attacker. */
  async function storedFromAttacker(): Promise<number> {
    return (await victim.ledger.query({ counterpart: 'DE' })).length
  }

  async function send(stream: Stream, bytes: Uint8Array): Promise<void> {
    if (!stream.send(bytes)) await stream.onDrain({ signal: AbortSignal.timeout(GUARD_MS) })
  }

  /** A delivery stream from the attacker to the victim, its reading side armed before anything is written. */
  async function openRaw(): Promise<{ stream: Stream; lp: LengthPrefixed }> {
    const stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), DELIVERY_PROTOCOL, {
      signal: AbortSignal.timeout(GUARD_MS),
    })
    return { stream, lp: lpStream(stream) }
  }

  function checkReceipt(raw: Uint8Array, sent: Uint8Array): Receipt {
    const checked = verifyReceipt(raw, {
      receiverPublicKey: victim.identity.signingPublicKey,
      networkId: TEST_NETWORK,
      envelopeHash: sha256(sent),
    })
    if (!checked.ok)
      throw new Error(`the victim's answer is not its receipt: ${checked.check}: ${checked.message}`)
    return checked.receipt
  }

  /** Sends one length-prefixed frame as the attacker; returns the victim's verified receipt. */
  async function deliver(bytes: Uint8Array): Promise<{ raw: Uint8Array; receipt: Receipt }> {
    const signal = AbortSignal.timeout(GUARD_MS)
    const { stream, lp } = await openRaw()
    await lp.write(bytes, { signal })
    const raw = (await lp.read({ signal })).subarray()
    await stream.close({ signal }).catch(() => {})
    return { raw, receipt: checkReceipt(raw, bytes) }
  }

  function outcomeOf(receipt: Receipt): string {
    return receipt.status === 'rejected' ? receipt.reason : receipt.status
  }

  function logsSince(mark: number, event: string): LogLine[] {
    return logs.slice(mark).filter((l) => l.event === event)
  }

  /**
   * The attacker sends `bytes`; the victim must answer with a signed rejection for `reason`,
   * decided by `check`, count it once, store nothing, and still serve the legitimate peer.
   */
  async function expectRejected(bytes: Uint8Array, reason: RejectReason, check: string): Promise<void> {
    const counted = victim.receiver.rejections[reason] ?? 0
    const size = victim.ledger.size
    const mark = logs.length
    const { receipt } = await deliver(bytes)
    expect(outcomeOf(receipt)).toBe(reason)
    expect(victim.receiver.rejections[reason]).toBe(counted + 1)
    expect(victim.ledger.size, 'nothing stored').toBe(size)
    // told at most once per reason and check every 10 s: by a line now, or by an earlier one
    const told = logsSince(mark, 'delivery.rejected')
    expect(told).toEqual(
      told.length === 0
        ? []
        : [expect.objectContaining({ peer: attacker.identity.peerId.toString(), reason, detail: check })],
    )
    const sameCheck = (l: LogLine) =>
      l.event === 'delivery.rejected' && l.reason === reason && l.detail === check
    expect(logs.filter(sameCheck).length, 'told at least once').toBeGreaterThan(0)
  }

  /** The victim neither answers nor leaves the stream hanging: reading ends in an error, before the guard. */
  async function expectCutOff(lp: LengthPrefixed): Promise<void> {
    const guard = AbortSignal.timeout(GUARD_MS)
    const answer = await lp.read({ signal: guard }).then(
      () => 'a frame',
      (err: unknown) => err,
    )
    expect(guard.aborted, 'the victim neither answered nor cut the stream').toBe(false)
    expect(answer, 'the victim answered instead of cutting the stream').toBeInstanceOf(Error)
  }

  /** The victim counted exactly one stream error, from the attacker; returns its logged reason. */
  async function streamErrorCounted(before: number, mark: number): Promise<string | undefined> {
    await until(
      () => (victim.receiver.rejections.stream ?? 0) > before,
      'the stream error to be counted',
      GUARD_MS,
    )
    expect(victim.receiver.rejections.stream).toBe(before + 1)
    const errors = logsSince(mark, 'delivery.stream-error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.peer).toBe(attacker.identity.peerId.toString())
    return errors[0]!.reason
  }

  function sealedByAttacker(createdAt?: number) {
    return seal({
      sender: attacker.identity,
      recipient: keysOf(victim.identity),
      networkId: TEST_NETWORK,
      caseId: '',
      kind: 'test',
      payload: randomBytes(200),
      ...(createdAt === undefined ? {} : { createdAt }),
    })
  }

  // ---- the cases ----------------------------------------------------------------------

  it('garbage bytes in a frame: a signed "malformed" receipt, counted, nothing stored', async () => {
    await expectRejected(HTTP_GARBAGE, 'malformed', 'frame')
    await legitDelivers('legit-garbage-frame')
  })

  it('garbage bytes with no frame at all (a length prefix that never ends): cut off, counted', async () => {
    const before = victim.receiver.rejections.stream ?? 0
    const stored = await storedFromAttacker()
    const mark = logs.length
    const { stream, lp } = await openRaw()
    // Every byte has its continuation bit set, so no length ever forms, and the garbage keeps
    // coming until the victim cuts the stream.
    let cut = false
    stream.addEventListener('close', () => {
      cut = true
    })
    const flood = (async () => {
      const guard = AbortSignal.timeout(GUARD_MS)
      while (!cut && !guard.aborted) {
        try {
          await send(stream, endlessLengthPrefix(16 * 1024))
        } catch {
          return // the victim cut the stream
        }
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    })()
    await Promise.all([expectCutOff(lp), legitDelivers('legit-garbage-raw'), flood])
    const reason = await streamErrorCounted(before, mark)
    expect(reason, 'cut once the length prefix outgrew any allowed length, not by the read deadline').toBe(
      'malformed-length-prefix',
    )
    expect(await storedFromAttacker(), 'nothing stored from the attacker').toBe(stored)
  })

  it('a truncated frame (the sender hangs up half-way): cut off, counted, nothing stored', async () => {
    const before = victim.receiver.rejections.stream ?? 0
    const size = victim.ledger.size
    const mark = logs.length
    const envelope = sealedByAttacker()
    const frame = lengthPrefixed(envelope.bytes)
    const { stream, lp } = await openRaw()
    await send(stream, frame.subarray(0, Math.floor(frame.length / 2)))
    await stream.close({ signal: AbortSignal.timeout(GUARD_MS) })
    await expectCutOff(lp)
    const reason = await streamErrorCounted(before, mark)
    expect(reason, 'cut at the end of input, not by the read deadline').toBe('unexpected-end')
    expect(victim.ledger.size, 'nothing stored').toBe(size)
    await legitDelivers('legit-truncated')
  })

  it('an over-size frame: cut off on its length prefix, before any body is read, counted', async () => {
    const before = victim.receiver.rejections.stream ?? 0
    const size = victim.ledger.size
    const mark = logs.length
    const { stream, lp } = await openRaw()
    // A prefix one byte over the limit, a little of the body, and the stream left open.
    await send(stream, lengthPrefixed(new Uint8Array(1024), victim.config.delivery.maxEnvelopeBytes + 1))
    await expectCutOff(lp)
    expect(await streamErrorCounted(before, mark)).toBe('frame-too-large')
    expect(victim.ledger.size, 'nothing stored').toBe(size)
    await legitDelivers('legit-oversize')
  })

  it('a valid envelope with a bad outer signature: "bad-signature", counted, nothing stored', async () => {
    const envelope = sealedByAttacker()
    await expectRejected(withBadOuterSignature(envelope.bytes), 'bad-signature', 'outer-signature')
    await legitDelivers('legit-bad-signature')
  })

  it('inner fields that differ from the outer header (each of net, from, to, id, t): "malformed"', async () => {
    const header = { createdAt: Date.now(), messageId: new Uint8Array(randomBytes(16)) }
    const differing = {
      net: 'another-network',
      from: legit.identity.signingPublicKey,
      to: legit.identity.signingPublicKey,
      id: new Uint8Array(randomBytes(16)),
      t: header.createdAt - 1,
    }
    for (const [field, value] of Object.entries(differing)) {
      const crafted = sealByHand({
        sender: attacker.identity,
        recipient: keysOf(victim.identity),
        networkId: TEST_NETWORK,
        ...header,
        inner: { [field]: value },
      })
      await expectRejected(crafted.bytes, 'malformed', 'inner-fields')
    }
    await legitDelivers('legit-mismatch')
  })

  it('a case id with a control character: "malformed", counted, nothing stored', async () => {
    // the ledger takes no control characters; open() must refuse what the ledger would, so the
    // sender gets a signed answer instead of a reset stream and days of retries
    for (const caseId of ['IT-1\nforged log line', 'IT-1\u0000', 'IT-1\u009b']) {
      const crafted = sealByHand({
        sender: attacker.identity,
        recipient: keysOf(victim.identity),
        networkId: TEST_NETWORK,
        caseId,
      })
      await expectRejected(crafted.bytes, 'malformed', 'inner-payload')
    }
    await legitDelivers('legit-control-character')
  })

  it('an envelope signed by another member: "bad-signature" at once, without looking that member up', async () => {
    // Signed, validly, by PL, whose record no one has, and sent over the attacker's connection.
    // The victim used to look up PL's box key before anything else and, the lookup failing,
    // answer "try-later": each such frame cost it a DHT query.
    const crafted = sealByHand({
      sender: fed.nodes[ABSENT]!.identity,
      recipient: keysOf(victim.identity),
      networkId: TEST_NETWORK,
    })
    await expectRejected(crafted.bytes, 'bad-signature', 'sender is not the connected peer')
    await legitDelivers('legit-absent-member')
  })

  it('an envelope addressed to another node: "not-for-me", counted, nothing stored', async () => {
    const forIT = seal({
      sender: attacker.identity,
      recipient: keysOf(legit.identity),
      networkId: TEST_NETWORK,
      caseId: '',
      kind: 'test',
      payload: randomBytes(200),
    })
    await expectRejected(forIT.bytes, 'not-for-me', 'recipient')
    await legitDelivers('legit-not-for-me')
  })

  it('a replay: an exact retry gets the original receipt, the same id with other bytes "replay"', async () => {
    const original = sealByHand({
      sender: attacker.identity,
      recipient: keysOf(victim.identity),
      networkId: TEST_NETWORK,
      caseId: 'attacker-replay',
    })
    const first = await deliver(original.bytes)
    expect(outcomeOf(first.receipt)).toBe('accepted')
    const stored = await victim.ledger.query({ kind: 'message-received', caseId: 'attacker-replay' })
    expect(stored).toHaveLength(1)

    const size = victim.ledger.size
    const counts = { ...victim.receiver.rejections }
    const retry = await deliver(original.bytes)
    expect(Buffer.from(retry.raw).equals(Buffer.from(first.raw)), 'the original receipt, byte for byte').toBe(
      true,
    )
    expect(victim.receiver.rejections).toEqual(counts)
    expect(victim.ledger.size, 'the retry stored nothing').toBe(size)

    const sameId = sealByHand({
      sender: attacker.identity,
      recipient: keysOf(victim.identity),
      networkId: TEST_NETWORK,
      caseId: 'attacker-replay',
      messageId: original.messageId,
    })
    await expectRejected(sameId.bytes, 'replay', 'message id reused with other bytes')
    expect(await victim.ledger.query({ kind: 'message-received', caseId: 'attacker-replay' })).toHaveLength(1)
    await legitDelivers('legit-replay')
  })

  it('a far-future timestamp: "too-new", counted, nothing stored', async () => {
    const envelope = sealedByAttacker(Date.now() + 24 * 3600_000)
    await expectRejected(envelope.bytes, 'too-new', 'time')
    await legitDelivers('legit-too-new')
  })

  it('a connection from a non-member key: refused at the connection, no stream ever opens', async () => {
    const outsider = await createLibp2p({
      privateKey: NodeIdentity.generate().privateKey,
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    try {
      const size = victim.ledger.size
      const counts = { ...victim.receiver.rejections }
      await expect(
        outsider.dialProtocol(victim.host.getMultiaddrs()[0]!, DELIVERY_PROTOCOL, {
          signal: AbortSignal.timeout(GUARD_MS),
        }),
      ).rejects.toThrow()
      expect(victim.host.getPeers().map(String)).not.toContain(outsider.peerId.toString())
      expect(victim.host.getConnections(outsider.peerId)).toHaveLength(0)
      expect(victim.receiver.rejections, 'no delivery stream reached the receiver').toEqual(counts)
      expect(victim.ledger.size, 'nothing stored').toBe(size)
    } finally {
      await outsider.stop()
    }
    await legitDelivers('legit-non-member')
  })

  it('a slow sender that never finishes its frame: cut off at the read deadline, counted', async () => {
    const before = victim.receiver.rejections.stream ?? 0
    const stored = await storedFromAttacker()
    const mark = logs.length
    const frame = lengthPrefixed(sealedByAttacker().bytes)
    const { stream, lp } = await openRaw()
    // A slowloris: one byte every 100 ms, never the last one, so no idle timer alone would catch it.
    let sent = 0
    const trickle = setInterval(() => {
      if (stream.status !== 'open' || sent >= frame.length - 1) return
      try {
        stream.send(frame.subarray(sent, sent + 1))
        sent++
      } catch {
        // the victim cut the stream between the status check and the write
      }
    }, 100)
    try {
      const cut = expectCutOff(lp)
      // The legitimate peer is served while the slow stream holds its slot.
      await legitDelivers('legit-slow-sender')
      await cut
    } finally {
      clearInterval(trickle)
    }
    expect(await streamErrorCounted(before, mark)).toBe('deadline')
    expect(sent, 'the frame was never finished').toBeLessThan(frame.length)
    expect(await storedFromAttacker(), 'nothing stored from the attacker').toBe(stored)
    await legitDelivers('legit-after-slow-sender')
  })

  it('500 parallel streams from one peer: at most the inbound limit served, the rest refused and counted, legit unaffected', async () => {
    // A hostile member ignores its own outbound stream cap: lift the one the attacker's daemon
    // registered for itself, so all 500 streams reach the victim.
    await attacker.host.unhandle(DELIVERY_PROTOCOL)
    const malformedBefore = victim.receiver.rejections.malformed ?? 0
    const streamErrorsBefore = victim.receiver.rejections.stream ?? 0
    const overLimitBefore = victim.receiver.rejections['stream-limit'] ?? 0
    const stored = await storedFromAttacker()
    const mark = logs.length
    const frame = lengthPrefixed(HTTP_GARBAGE)
    const head = frame.subarray(0, 10)
    const tail = frame.subarray(10)

    type Held = { stream: Stream; lp: LengthPrefixed }
    const open = async (): Promise<Held | undefined> => {
      try {
        const stream = await attacker.host.dialProtocol(victim.host.getMultiaddrs(), DELIVERY_PROTOCOL, {
          signal: AbortSignal.timeout(GUARD_MS),
          maxOutboundStreams: 1_000,
        })
        const lp = lpStream(stream)
        stream.send(head) // start a frame and hold the slot
        return { stream, lp }
      } catch {
        return undefined // refused during negotiation, or reset before the first write
      }
    }
    // The legitimate peer sends during the burst...
    const during = legitDelivers('legit-flood-during', 10)
    const attempts = await Promise.all(Array.from({ length: 500 }, open))
    // Streams over the limit are aborted by the receiver's handler unread, and counted.
    const live = () => attempts.filter((a): a is Held => a !== undefined && a.stream.status === 'open')
    await until(
      () => live().length <= MAX_INBOUND_DELIVERY_STREAMS,
      'the victim to refuse the streams over its inbound limit',
      GUARD_MS,
    )
    const held = live()
    expect(held.length, 'some streams are served').toBeGreaterThan(0)
    await during
    // ...and while the attacker holds every stream slot it was given.
    await legitDelivers('legit-flood-held', 10)

    // Finish the held frames: each is answered with a signed, counted rejection.
    const answers = await Promise.all(
      held.map(async (a) => {
        const signal = AbortSignal.timeout(GUARD_MS)
        try {
          await send(a.stream, tail)
          const raw = (await a.lp.read({ signal })).subarray()
          await a.stream.close({ signal }).catch(() => {})
          return checkReceipt(raw, HTTP_GARBAGE)
        } catch {
          return undefined
        }
      }),
    )
    const receipts = answers.filter((r) => r !== undefined)
    expect(receipts.map(outcomeOf)).toEqual(receipts.map(() => 'malformed'))
    // Every stream the victim served ends in exactly one counted outcome: the signed rejection
    // of its garbage, or (had the attacker held it past the read deadline) a timeout.
    const answered = (victim.receiver.rejections.malformed ?? 0) - malformedBefore
    const timedOut = (victim.receiver.rejections.stream ?? 0) - streamErrorsBefore
    expect(answered, 'every receipt counted').toBe(receipts.length)
    // the timeouts are told at most once every 10 s (the slow sender's may have been the line)
    const toldTimeouts = logsSince(mark, 'delivery.stream-error')
    expect(toldTimeouts.length).toBeLessThanOrEqual(Math.min(timedOut, 1))
    expect(toldTimeouts.map((l) => l.reason)).toEqual(toldTimeouts.map(() => 'deadline'))
    const served = answered + timedOut
    expect(served, 'some streams served').toBeGreaterThan(0)
    expect(served, 'never more than the inbound limit').toBeLessThanOrEqual(MAX_INBOUND_DELIVERY_STREAMS)
    expect(500 - served, 'refused').toBeGreaterThanOrEqual(500 - MAX_INBOUND_DELIVERY_STREAMS)
    // every stream the victim refused over its limit is counted (one the attacker's side gave up on
    // during negotiation never reached it), and the flood is one log line, not hundreds
    const overLimit = (victim.receiver.rejections['stream-limit'] ?? 0) - overLimitBefore
    expect(overLimit, 'refused streams counted').toBeGreaterThan(0)
    expect(served + overLimit).toBeLessThanOrEqual(500)
    expect(logsSince(mark, 'delivery.stream-limit')).toEqual([
      expect.objectContaining({
        peer: attacker.identity.peerId.toString(),
        limit: MAX_INBOUND_DELIVERY_STREAMS,
        refusedSinceStart: 1,
      }),
    ])
    for (const a of attempts) {
      if (a !== undefined && a.stream.status === 'open') a.stream.abort(new Error('test done'))
    }
    expect(await storedFromAttacker(), 'nothing stored from the attacker').toBe(stored)
    expect(victim.host.getConnections(attacker.identity.peerId).length).toBeGreaterThan(0)
    await legitDelivers('legit-after-flood')
  })
})
