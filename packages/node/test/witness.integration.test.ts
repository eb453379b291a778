import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  checkpointOrigin,
  parseCheckpoint,
  signCheckpoint,
  verifyCosignatures,
  verifyEvidence,
  verifyLedger,
} from '@pocnet/ledger'
import { ExchangeError, type ExchangeFailure, requestOnce } from '@pocnet/protocol/reqresp'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ledgerHandlers } from '../src/control/handlers/ledger.ts'
import type { CallContext } from '../src/control/serve.ts'
import type { PocnetDaemon } from '../src/index.ts'
import {
  decodeWitnessAnswer,
  encodeWitnessRequest,
  MAX_WITNESS_ANSWER_BYTES,
  WITNESS_PROTOCOL,
  type WitnessAnswer,
} from '../src/witness/wire.ts'
import { createTestFederation, TEST_NETWORK, type TestFederation, until } from './fixtures/federation.ts'

/** How a request can be lost on the way, before or after the witness read it. */
const TRANSPORT_FAILURES: ReadonlySet<ExchangeFailure> = new Set(['stream-reset', 'dial-failed'])

/**
 * Sends an add-checkpoint request from `from` to `to`'s witness, as a member would, and again once
 * if the transport dropped it (the stream reset, or no connection): libp2p aborts a connection
 * whose ping goes unanswered for 5 s, which a suite's start on two loaded cores can cause, and the
 * collector retries such a failure the same way. `attempts` counts the requests sent.
 */
async function ask(
  from: PocnetDaemon,
  to: PocnetDaemon,
  request: { oldSize: number; consistencyProof: Uint8Array[]; checkpointNote: string },
  attempts = { sent: 0 },
): Promise<WitnessAnswer> {
  for (;;) {
    attempts.sent++
    try {
      return await requestOnce(
        from.host,
        to.identity.peerId,
        WITNESS_PROTOCOL,
        encodeWitnessRequest(request),
        {
          maxResponseBytes: MAX_WITNESS_ANSWER_BYTES,
          signal: AbortSignal.timeout(10_000),
          decode: decodeWitnessAnswer,
        },
      )
    } catch (err) {
      const dropped = err instanceof ExchangeError && TRANSPORT_FAILURES.has(err.failure)
      if (!dropped || attempts.sent > 1) throw err
    }
  }
}

/** Appends `n` entries to `node`'s ledger and cuts a checkpoint whose size is not a power of two. */
async function grow(node: PocnetDaemon, n: number) {
  for (let i = 0; i < n; i++)
    await node.ledger.append({ kind: 'admin-action', actor: 'node', detail: { action: 'test', i } })
  if (Number.isInteger(Math.log2(node.ledger.size)))
    await node.ledger.append({ kind: 'admin-action', actor: 'node', detail: { action: 'test' } })
  return node.ledger.checkpoint()
}

describe('witnessing among members, with real nodes', () => {
  let fed: TestFederation
  let fr: PocnetDaemon
  let it_: PocnetDaemon
  let us: PocnetDaemon
  /** The nodes' error records: the equivocation below is logged as one, on purpose. */
  const errors: Array<Record<string, unknown>> = []

  beforeAll(async () => {
    fed = await createTestFederation(['FR', 'IT', 'US'], (config) => {
      config.checkpoint = { everyEntries: 1000, everyMs: 500 }
    })
    fr = await fed.start(0, undefined, errors)
    it_ = await fed.start(1, undefined, errors)
    us = await fed.start(2, undefined, errors)
    for (const node of [fr, it_, us])
      await until(
        () => node.health().peersConnected === 2,
        `${node.config.country} to connect to both others`,
      )
  })

  afterAll(async () => {
    await fed?.cleanup()
  })

  // what the nodes logged as errors: read with a failure here
  afterEach((context) => {
    if (context.task.result?.state === 'fail') console.error(JSON.stringify(errors, null, 1))
  })

  it('cosigns a consistent chain: each new checkpoint is cosigned by both other members', async () => {
    for (const n of [3, 5]) {
      const checkpoint = await grow(fr, n)
      await until(() => {
        const w = fr.health().witness
        return w.latestSize === fr.ledger.latestCheckpoint()!.size && w.cosigners.join() === 'IT,US'
      }, `IT and US to cosign FR's checkpoint of size ${checkpoint.size}`)
      const w = fr.health().witness
      expect(w.meetsPolicy).toBe(true)
      expect(w.minCosigners).toBe(2)
      expect(w.witnesses.map((m) => [m.country, m.cosignedSize])).toEqual([
        ['IT', w.latestSize],
        ['US', w.latestSize],
      ])
      expect(it_.witness.heldSize('FR')).toBeGreaterThanOrEqual(checkpoint.size)
      // stored beside the checkpoint, on its note: what bundles, `ledger prove` and an auditor read
      const witnessKeys = [it_, us].map((m) => ({
        name: checkpointOrigin(TEST_NETWORK, m.config.country),
        publicKey: m.identity.signingPublicKey,
      }))
      const cosigned = verifyCosignatures(fr.ledger.latestCheckpoint()!.note, witnessKeys)
      expect(cosigned.map((c) => c.name).sort()).toEqual(witnessKeys.map((k) => k.name))
    }
    expect(it_.health().witness.cosignedForOthers).toBeGreaterThan(0)
  })

  it("exports a bundle whose checkpoint carries the others' cosignatures, which the default witness check accepts", async () => {
    await grow(fr, 3)
    const dir = await mkdtemp(join(tmpdir(), 'pocnet-export-'))
    try {
      const path = join(dir, 'fr.bundle')
      const written = await ledgerHandlers(fr).export(
        { path, includeBlobBytes: false, cosignTimeoutMs: 10_000 },
        {} as CallContext,
      )
      expect(written.checkpoint.size).toBe(fr.ledger.size)
      expect(written.witnesses).toEqual({ cosigners: ['IT', 'US'], required: 2, meetsPolicy: true })
      // what `pocnet ledger verify --bundle` requires by default: a majority of the other members
      const report = await verifyLedger(path, {
        threads: 0,
        witnesses: {
          keys: [fr, it_, us].map((m) => ({
            name: checkpointOrigin(TEST_NETWORK, m.config.country),
            publicKey: m.identity.signingPublicKey,
          })),
          min: 2,
        },
      })
      expect(report.problem).toBeUndefined()
      expect(report.ok).toBe(true)
      expect(report.witnesses).toMatchObject({ met: true, size: written.checkpoint.size })
      expect(report.witnesses!.cosigners.sort()).toEqual(
        ['IT', 'US'].map((c) => checkpointOrigin(TEST_NETWORK, c)),
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses a rollback and a bad consistency proof, telling the size it holds', async () => {
    const older = (await fr.ledger.checkpoints()).find((c) => c.size > 0)!
    const latest = await grow(fr, 2)
    await until(() => it_.witness.heldSize('FR') === latest.size, 'IT to hold the latest checkpoint')

    const rollbackAsks = { sent: 0 }
    const rollback = await ask(
      fr,
      it_,
      { oldSize: older.size, consistencyProof: [], checkpointNote: older.note },
      rollbackAsks,
    )
    expect(rollback).toMatchObject({ status: 409, reason: 'rollback', heldSize: it_.witness.heldSize('FR') })

    // a checkpoint FR's collector never sends (not in its ledger), with a proof that leads nowhere
    const next = signCheckpoint(
      { origin: latest.origin, size: latest.size + 3, root: new Uint8Array(randomBytes(32)) },
      fr.identity.signer,
      fr.identity.signingPublicKey,
    )
    const badAsks = { sent: 0 }
    const bad = await ask(
      fr,
      it_,
      {
        oldSize: latest.size,
        consistencyProof: [1, 2, 3].map(() => new Uint8Array(randomBytes(32))),
        checkpointNote: next.note,
      },
      badAsks,
    )
    expect(bad).toMatchObject({ status: 422, reason: 'bad-consistency-proof' })

    const stale = await ask(fr, it_, { oldSize: 1, consistencyProof: [], checkpointNote: next.note })
    // the collector may have moved IT on meanwhile: a mismatch names whatever IT holds now
    expect(stale).toMatchObject({ status: 409, reason: 'old-size-mismatch' })
    expect((stale as { heldSize: number }).heldSize).toBe(it_.witness.heldSize('FR'))
    // once each, or once more for a request the witness judged before its answer was dropped
    expect(it_.health().rejected['witness-rollback']).toBeGreaterThanOrEqual(1)
    expect(it_.health().rejected['witness-rollback']).toBeLessThanOrEqual(rollbackAsks.sent)
    expect(it_.health().rejected['witness-bad-consistency-proof']).toBeGreaterThanOrEqual(1)
    expect(it_.health().rejected['witness-bad-consistency-proof']).toBeLessThanOrEqual(badAsks.sent)
  })

  it('refuses a checkpoint from a peer for a log that is not a member', async () => {
    const stranger = signCheckpoint(
      { origin: checkpointOrigin(TEST_NETWORK, 'ZZ'), size: 3, root: new Uint8Array(32) },
      fr.identity.signer,
      fr.identity.signingPublicKey,
    )
    const answer = await ask(fr, it_, { oldSize: 0, consistencyProof: [], checkpointNote: stranger.note })
    expect(answer).toMatchObject({ status: 404, reason: 'unknown-log' })
  })

  it('detects equivocation, records and alerts it, sends it to the others, and keeps it across a restart', async () => {
    const latest = await grow(fr, 2)
    await until(
      () => it_.witness.heldSize('FR') === latest.size && fr.health().witness.cosigners.includes('IT'),
      'IT to hold the latest checkpoint',
    )
    // FR signs a second tree of the size IT holds
    const fork = signCheckpoint(
      { origin: latest.origin, size: latest.size, root: new Uint8Array(randomBytes(32)) },
      fr.identity.signer,
      fr.identity.signingPublicKey,
    )
    const answer = await ask(fr, it_, {
      oldSize: latest.size,
      consistencyProof: [],
      checkpointNote: fork.note,
    })
    expect(answer).toMatchObject({ status: 409, reason: 'equivocation' })

    const alerts = it_.health().witness.alerts
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({
      country: 'FR',
      kind: 'same-size',
      heldSize: latest.size,
      reportedBy: 'self',
    })
    const recorded = await it_.ledger.query({ kind: 'equivocation' })
    expect(recorded).toHaveLength(1)
    expect(recorded[0]).toMatchObject({ actor: 'node', counterpart: 'FR' })
    // the evidence itself is the entry's blob, and anyone with FR's roster key can check it
    const blob = await it_.ledger.getBlob(recorded[0]!.blobs[0]!)
    const evidence = JSON.parse(new TextDecoder().decode(blob))
    expect(
      parseCheckpoint(verifyEvidence(evidence, fr.identity.signingPublicKey).conflicting.note).checkpoint
        .size,
    ).toBe(latest.size)
    const feed = await it_.feed.after(0, 0)
    expect(feed.filter((e) => e.type === 'equivocation')).toHaveLength(1)

    // US checks it against FR's roster key and alerts too; FR hears of evidence against itself
    await until(() => us.health().witness.equivocations === 1, 'US to record the evidence')
    expect(us.health().witness.alerts[0]).toMatchObject({
      country: 'FR',
      reportedBy: 'IT',
      againstSelf: false,
    })
    await until(() => fr.health().witness.equivocations === 1, 'FR to record the evidence against itself')
    expect(fr.health().witness.alerts[0]).toMatchObject({ country: 'FR', againstSelf: true })

    // the same evidence again is one alert
    await ask(fr, it_, { oldSize: latest.size, consistencyProof: [], checkpointNote: fork.note })
    expect(it_.health().witness.equivocations).toBe(1)
    expect(await it_.ledger.query({ kind: 'equivocation' })).toHaveLength(1)

    // restart IT: the alert and the witness's evidence are still there
    await it_.stop()
    it_ = await fed.start(1, undefined, errors)
    expect(it_.health().witness.equivocations).toBe(1)
    expect(it_.health().witness.alerts[0]).toMatchObject({ country: 'FR', heldSize: latest.size })
    expect(await it_.witness.evidence()).toHaveLength(1)
    expect(it_.witness.heldSize('FR')).toBe(latest.size)

    // each node logged what it found as an error, once: IT and US the equivocation, FR the evidence against it
    expect(errors.map((e) => `${e.component} ${e.event} ${e.country} ${e.reportedBy}`).sort()).toEqual([
      'FR.witness witness.equivocation-against-self FR IT',
      'IT.witness witness.equivocation FR self',
      'US.witness witness.equivocation FR IT',
    ])
  })
})
