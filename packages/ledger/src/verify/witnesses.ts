import { bytesEqual } from '@pocnet/crypto'
import type { SignedCheckpoint } from '../checkpoint.ts'
import {
  type CosignatureKind,
  checkCosignatureOf,
  cosignatureKindOf,
  parseAnyCosignature,
  type WitnessKeys,
} from '../cosignature-kind.ts'
import { CheckpointFormatError } from '../errors.ts'
import { splitNote } from '../signed-note.ts'
import { Failure, type ListedCosignature, type WitnessRequirement, type WitnessSummary } from './report.ts'

/*
 * The auditor's check of the witnesses (docs/ledger.md §7): every cosignature line on the log's
 * checkpoints is listed with its kind (Ed25519 or ML-DSA-44), those of current members' keys (and
 * of the keys they rotated away from, so that a rotation keeps their history) are verified, and
 * the latest checkpoint must carry cosignatures of at least `min` distinct members,
 * `minPostQuantum` of them ML-DSA-44 ones.
 */

/** Seconds since the epoch as ISO 8601, for messages. */
function isoTime(seconds: number): string {
  const ms = seconds * 1000
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${seconds}s`
}

/** How a failure names a line: Ed25519 ones as before ML-DSA-44 came, the new kind by name. */
const LINE_NAMES: Record<CosignatureKind, string> = {
  ed25519: 'cosignature',
  'ml-dsa-44': 'ML-DSA-44 cosignature',
}

export class WitnessCheck {
  /** Every cosignature line seen, as listed in the report, by size then order of appearance. */
  readonly listed: ListedCosignature[] = []
  readonly #origin: string
  /** Current members' witness keys, and those they rotated away from; never the log's own keys. */
  readonly #members: WitnessKeys[]
  /** Lines already seen, per size: a data directory holds the latest note twice (record and file). */
  readonly #seen = new Set<string>()
  /** Members with a valid cosignature of any kind, per checkpoint size. */
  readonly #validBySize = new Map<number, Set<string>>()
  /** Members with a valid ML-DSA-44 cosignature, per checkpoint size. */
  readonly #postQuantumBySize = new Map<number, Set<string>>()
  /** Member and kind pairs with a valid line, per size: a second line of the same is a duplicate. */
  readonly #validLines = new Set<string>()

  /** `logKeys`: every key the log signed with (a rotation adds one). */
  constructor(origin: string, logKeys: readonly Uint8Array[], members: readonly WitnessKeys[]) {
    this.#origin = origin
    // a log does not witness itself: its own name or keys among the members count for nothing
    this.#members = members.filter(
      (m) => m.name !== origin && !logKeys.some((key) => bytesEqual(m.publicKey, key)),
    )
  }

  /** Lists and checks the cosignature lines of a checkpoint note whose log signature verified. */
  note(checkpoint: SignedCheckpoint): void {
    const { text, signatures } = splitNote(checkpoint.note)
    const size = checkpoint.size
    for (const line of signatures) {
      // lines under the log's own name are its signatures (by any key it had), not a witness's
      if (line.name === this.#origin || this.#seen.has(`${size} ${line.line}`)) continue
      this.#seen.add(`${size} ${line.line}`)
      let shape: ReturnType<typeof parseAnyCosignature> | undefined
      try {
        shape = parseAnyCosignature(line.line)
      } catch {
        shape = undefined
      }
      const member = this.#members.find((m) => cosignatureKindOf(line, m) !== undefined)
      const kind = member === undefined ? shape?.kind : cosignatureKindOf(line, member)
      const entry: ListedCosignature = {
        size,
        name: line.name,
        ...(shape === undefined ? {} : { timestamp: shape.timestamp }),
        ...(kind === undefined ? {} : { kind }),
        status: 'unknown-key',
      }
      this.listed.push(entry)
      if (member === undefined || kind === undefined) continue
      let checked: { valid: boolean; timestamp: number }
      try {
        checked = checkCosignatureOf(text, line.line, kind, member)
      } catch (err) {
        if (!(err instanceof CheckpointFormatError)) throw err
        entry.status = 'invalid'
        throw new Failure(
          `the ${LINE_NAMES[kind]} line by ${line.name} on the checkpoint of size ${size} is malformed: ${err.message.replace(/^checkpoint: /, '')}`,
        )
      }
      if (!checked.valid) {
        entry.status = 'invalid'
        throw new Failure(
          `the ${LINE_NAMES[kind]} by ${line.name} on the checkpoint of size ${size} does not verify: the checkpoint ` +
            `was changed after that member cosigned it, or the line was (the witnesses' view and the log's differ at size ${size})`,
        )
      }
      entry.timestamp = checked.timestamp
      if (member.retired === true) entry.retiredKey = true
      const lineKey = `${size} ${kind} ${member.name}`
      entry.status = this.#validLines.has(lineKey) ? 'duplicate' : 'valid'
      this.#validLines.add(lineKey)
      addTo(this.#validBySize, size, member.name)
      if (kind === 'ml-dsa-44') addTo(this.#postQuantumBySize, size, member.name)
    }
  }

  /**
   * Whether the latest checkpoint (`latest`) carries `required.min` valid cosignatures of distinct
   * members, `required.minPostQuantum` of them ML-DSA-44: the summary, and a Failure saying who
   * cosigned what when it does not.
   */
  require(required: WitnessRequirement, latest: SignedCheckpoint | undefined): WitnessSummary {
    const min = required.min
    const minPostQuantum = required.minPostQuantum ?? 0
    const size = latest?.size
    const cosigners = size === undefined ? [] : [...(this.#validBySize.get(size) ?? [])].sort()
    const postQuantum = size === undefined ? [] : [...(this.#postQuantumBySize.get(size) ?? [])].sort()
    const largestMet = [...this.#validBySize]
      .filter(
        ([s, members]) =>
          members.size >= min && (this.#postQuantumBySize.get(s)?.size ?? 0) >= minPostQuantum,
      )
      .reduce<number | undefined>((max, [s]) => (max === undefined || s > max ? s : max), undefined)
    const summary: WitnessSummary = {
      required: min,
      ...(size === undefined ? {} : { size }),
      cosigners,
      met: cosigners.length >= min && postQuantum.length >= minPostQuantum,
      ...(largestMet === undefined ? {} : { largestCosignedSize: largestMet }),
      ...(minPostQuantum > 0 && {
        postQuantum: {
          required: minPostQuantum,
          cosigners: postQuantum,
          met: postQuantum.length >= minPostQuantum,
        },
      }),
    }
    if (summary.met) return summary
    if (size === undefined)
      throw new WitnessFailure(summary, `no signed checkpoint, so no cosignature: ${min} required`)
    const unmet = `${min} required${minPostQuantum > 0 ? `, ${minPostQuantum} of them ML-DSA-44` : ''}`
    const afterLargest =
      largestMet === undefined
        ? `no checkpoint carries them`
        : `the largest checkpoint that does is of size ${largestMet}; entries after it are vouched for by the log's own signature alone`
    if (cosigners.length >= min) {
      const classicalOnly = cosigners.filter((name) => !postQuantum.includes(name))
      const withoutKey = this.#members.filter((m) => m.mlDsaPublicKey === undefined).map((m) => m.name)
      throw new WitnessFailure(
        summary,
        `the latest checkpoint (size ${size}) carries ${postQuantum.length} valid ML-DSA-44 cosignature(s) of distinct current members` +
          `${postQuantum.length === 0 ? '' : ` (${postQuantum.join(', ')})`}, ${minPostQuantum} required` +
          `${classicalOnly.length === 0 ? '' : `; ${classicalOnly.join(', ')} cosigned with Ed25519 only`}` +
          `${withoutKey.length === 0 ? '' : `; ${withoutKey.length} member(s) have no ML-DSA-44 witness key in the roster`}; ${afterLargest}`,
      )
    }
    const by = this.listed
      .filter((c) => c.size === size && c.status === 'valid')
      .map(
        (c) =>
          `${c.name}${c.kind === 'ml-dsa-44' ? ' (ML-DSA-44)' : ''} at ${c.timestamp === undefined ? '?' : isoTime(c.timestamp)}`,
      )
    const ignored = this.listed.filter((c) => c.size === size && c.status === 'unknown-key').length
    throw new WitnessFailure(
      summary,
      `the latest checkpoint (size ${size}) carries ${cosigners.length} valid cosignature(s) of distinct current members` +
        `${by.length === 0 ? '' : ` (${by.join(', ')})`}, ${unmet}` +
        `${ignored === 0 ? '' : `; ${ignored} line(s) by keys that are not current members' were ignored`}; ` +
        (largestMet === undefined
          ? `no checkpoint carries ${min}`
          : `the largest checkpoint that carries ${min} is of size ${largestMet}; entries after it are vouched for by the log's own signature alone`),
    )
  }
}

function addTo(bySize: Map<number, Set<string>>, size: number, name: string): void {
  const set = bySize.get(size) ?? new Set<string>()
  bySize.set(size, set)
  set.add(name)
}

/** The witness requirement failed; the summary goes into the report. */
export class WitnessFailure extends Failure {
  readonly summary: WitnessSummary
  constructor(summary: WitnessSummary, reason: string) {
    super(reason)
    this.summary = summary
  }
}
