import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fromHex, toHex, writeFileAtomic } from '@pocnet/crypto'
import { NodeError } from '../errors.ts'
import type { StartIndex } from './start-index.ts'

const FORMAT = 2
const MAC_KEY_INFO = new TextEncoder().encode('pocnet start snapshot v1')

/** A start index as saved: the ledger size and root it was folded up to. */
export interface SavedIndex {
  size: number
  root: Uint8Array
  index: StartIndex
}

/** A snapshot file that cannot be used: damaged, written by another key, or of another format. */
export class SnapshotFileError extends NodeError {
  constructor(path: string, problem: string) {
    super(
      'ERR_SNAPSHOT_FILE',
      `${path}: ${problem} (the start rebuilds its views from the ledger and writes a new snapshot)`,
    )
  }
}

/**
 * The key that authenticates snapshots, derived from the node's signing seed: a snapshot only this
 * node could have written, so a start may rely on what it names, once its root matches the ledger.
 */
export function snapshotKey(signingSeed: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', signingSeed, new Uint8Array(0), MAC_KEY_INFO, 32))
}

/** Writes the snapshot atomically (a temporary file, fsync'd, renamed): a crash leaves the old one or the new. */
export async function writeSnapshot(path: string, key: Uint8Array, saved: SavedIndex): Promise<void> {
  const { index } = saved
  const body = JSON.stringify({
    format: FORMAT,
    size: saved.size,
    root: toHex(saved.root),
    unsettled: [...index.unsettled].map(([id, s]) => [id, s.seq, s.caseStep ? 1 : 0]),
    failedCaseSteps: [...index.failedCaseSteps],
    idempotencyKeys: [...index.idempotencyKeys],
    caseTraffic: index.caseTraffic,
    recordedOpenings: [...index.recordedOpenings],
    unrecordedReceived: [...index.unrecordedReceived],
    unnamedRecords: [...index.unnamedRecords],
    alerted: [...index.alerted],
    drillTraffic: index.drillTraffic,
    sentDrills: [...index.sentDrills],
    drillOutcomes: index.drillOutcomes,
    pages: index.pages,
  })
  await writeFileAtomic(path, new TextEncoder().encode(`${body}\n${macOf(key, body)}\n`))
}

/** The snapshot at `path`; undefined when there is none; SnapshotFileError when it cannot be used. */
export async function readSnapshot(path: string, key: Uint8Array): Promise<SavedIndex | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SnapshotFileError(path, `cannot be read (${(err as Error).message})`)
  }
  const [body, mac, rest] = text.split('\n')
  if (body === undefined || mac === undefined || rest !== '')
    throw new SnapshotFileError(path, 'is not a body line and a MAC line')
  const expected = Buffer.from(macOf(key, body))
  const given = Buffer.from(mac)
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new SnapshotFileError(path, 'its MAC does not match this node key')
  try {
    return parseBody(JSON.parse(body))
  } catch (err) {
    throw new SnapshotFileError(path, `does not parse (${(err as Error).message})`)
  }
}

function macOf(key: Uint8Array, body: string): string {
  return createHmac('sha256', key).update(body).digest('hex')
}

function parseBody(raw: Record<string, unknown>): SavedIndex {
  if (raw.format !== FORMAT) throw new Error(`format ${String(raw.format)}, not ${FORMAT}`)
  const seq = (v: unknown, field: string): number => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Error(`${field}: not a sequence number`)
    return v as number
  }
  const text = (v: unknown, field: string): string => {
    if (typeof v !== 'string') throw new Error(`${field}: not a string`)
    return v
  }
  const list = (v: unknown, field: string): unknown[] => {
    if (!Array.isArray(v)) throw new Error(`${field}: not a list`)
    return v
  }
  const size = seq(raw.size, 'size')
  const root = fromHex(text(raw.root, 'root'))
  if (root.length !== 32) throw new Error('root: not 32 bytes')
  const index: StartIndex = {
    unsettled: new Map(
      list(raw.unsettled, 'unsettled').map((u) => {
        const [id, s, caseStep] = list(u, 'unsettled[]')
        return [text(id, 'unsettled[].id'), { seq: seq(s, 'unsettled[].seq'), caseStep: caseStep === 1 }]
      }),
    ),
    failedCaseSteps: new Set(
      list(raw.failedCaseSteps, 'failedCaseSteps').map((id) => text(id, 'failedCaseSteps[]')),
    ),
    idempotencyKeys: new Map(
      list(raw.idempotencyKeys, 'idempotencyKeys').map((k) => {
        const [key, s] = list(k, 'idempotencyKeys[]')
        return [text(key, 'idempotencyKeys[].key'), seq(s, 'idempotencyKeys[].seq')]
      }),
    ),
    caseTraffic: list(raw.caseTraffic, 'caseTraffic').map((s) => seq(s, 'caseTraffic[]')),
    recordedOpenings: new Set(
      list(raw.recordedOpenings, 'recordedOpenings').map((id) => text(id, 'recordedOpenings[]')),
    ),
    unrecordedReceived: new Set(
      list(raw.unrecordedReceived, 'unrecordedReceived').map((id) => text(id, 'unrecordedReceived[]')),
    ),
    unnamedRecords: new Map(
      list(raw.unnamedRecords, 'unnamedRecords').map((u) => {
        const [key, count] = list(u, 'unnamedRecords[]')
        return [text(key, 'unnamedRecords[].key'), seq(count, 'unnamedRecords[].count')]
      }),
    ),
    alerted: new Set(list(raw.alerted, 'alerted').map((k) => text(k, 'alerted[]'))),
    drillTraffic: list(raw.drillTraffic, 'drillTraffic').map((s) => seq(s, 'drillTraffic[]')),
    sentDrills: new Set(list(raw.sentDrills, 'sentDrills').map((id) => text(id, 'sentDrills[]'))),
    drillOutcomes: list(raw.drillOutcomes, 'drillOutcomes').map((s) => seq(s, 'drillOutcomes[]')),
    pages: list(raw.pages, 'pages').map((s) => seq(s, 'pages[]')),
  }
  for (const s of [
    ...index.caseTraffic,
    ...index.drillTraffic,
    ...index.drillOutcomes,
    ...index.pages,
    ...[...index.unsettled.values()].map((u) => u.seq),
  ])
    if (s >= size) throw new Error(`names entry ${s}, past its size ${size}`)
  return { size, root, index }
}
