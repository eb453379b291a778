import { bytesEqual } from '@pocnet/crypto'
import type { SignedCheckpoint } from '../checkpoint.ts'
import {
  type Cosignature,
  cosignatureKeyId,
  parseCosignature,
  verifyCosignature,
  type WitnessKey,
} from '../cosignature.ts'
import { splitNote } from '../signed-note.ts'
import { Failure, type ListedCosignature, type WitnessRequirement, type WitnessSummary } from './report.ts'

/*
 * The auditor's check of the witnesses (docs/ledger.md §7): every cosignature line on the log's
 * checkpoints is listed, those of current members' keys are verified, and the latest checkpoint
 * must carry cosignatures of at least `min` distinct members.
 */

/** Seconds since the epoch as ISO 8601, for messages. */
function isoTime(seconds: number): string {
  const ms = seconds * 1000
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${seconds}s`
}

export class WitnessCheck {
  /** Every cosignature line seen, as listed in the report, by size then order of appearance. */
  readonly listed: ListedCosignature[] = []
  readonly #origin: string
  /** Current members' witness keys with their key IDs; never the log's own keys. */
  readonly #members: Array<WitnessKey & { keyId: Uint8Array }>
  /** Lines already seen, per size: a data directory holds the latest note twice (record and file). */
  readonly #seen = new Set<string>()
  /** Members with a valid cosignature, per checkpoint size. */
  readonly #validBySize = new Map<number, Set<string>>()

  /** `logKeys`: every key the log signed with (a rotation adds one). */
  constructor(origin: string, logKeys: readonly Uint8Array[], members: readonly WitnessKey[]) {
    this.#origin = origin
    // a log does not witness itself: its own name or keys among the members count for nothing
    this.#members = members
      .filter((m) => m.name !== origin && !logKeys.some((key) => bytesEqual(m.publicKey, key)))
      .map((m) => ({ ...m, keyId: cosignatureKeyId(m.name, m.publicKey) }))
  }

  /** Lists and checks the cosignature lines of a checkpoint note whose log signature verified. */
  note(checkpoint: SignedCheckpoint): void {
    const { text, signatures } = splitNote(checkpoint.note)
    const size = checkpoint.size
    for (const line of signatures) {
      // lines under the log's own name are its signatures (by any key it had), not a witness's
      if (line.name === this.#origin || this.#seen.has(`${size} ${line.line}`)) continue
      this.#seen.add(`${size} ${line.line}`)
      let cosignature: Cosignature | undefined
      try {
        cosignature = parseCosignature(line.line)
      } catch {
        cosignature = undefined
      }
      const member = this.#members.find((m) => m.name === line.name && bytesEqual(m.keyId, line.keyId))
      const entry: ListedCosignature = {
        size,
        name: line.name,
        ...(cosignature === undefined ? {} : { timestamp: cosignature.timestamp }),
        status: 'unknown-key',
      }
      this.listed.push(entry)
      if (member === undefined) continue
      if (cosignature === undefined || !verifyCosignature(text, cosignature, member.publicKey)) {
        entry.status = 'invalid'
        throw new Failure(
          `the cosignature by ${line.name} on the checkpoint of size ${size} does not verify: the checkpoint ` +
            `was changed after that member cosigned it, or the line was (the witnesses' view and the log's differ at size ${size})`,
        )
      }
      const valid = this.#validBySize.get(size) ?? new Set<string>()
      this.#validBySize.set(size, valid)
      entry.status = valid.has(member.name) ? 'duplicate' : 'valid'
      valid.add(member.name)
    }
  }

  /**
   * Whether the latest checkpoint (`latest`) carries `required.min` valid cosignatures of distinct
   * members: the summary, and a Failure saying who cosigned what when it does not.
   */
  require(required: WitnessRequirement, latest: SignedCheckpoint | undefined): WitnessSummary {
    const min = required.min
    const size = latest?.size
    const cosigners = size === undefined ? [] : [...(this.#validBySize.get(size) ?? [])].sort()
    const largestMet = [...this.#validBySize]
      .filter(([, members]) => members.size >= min)
      .reduce<number | undefined>((max, [s]) => (max === undefined || s > max ? s : max), undefined)
    const summary: WitnessSummary = {
      required: min,
      ...(size === undefined ? {} : { size }),
      cosigners,
      met: cosigners.length >= min,
      ...(largestMet === undefined ? {} : { largestCosignedSize: largestMet }),
    }
    if (summary.met) return summary
    if (size === undefined)
      throw new WitnessFailure(summary, `no signed checkpoint, so no cosignature: ${min} required`)
    const by = this.listed
      .filter((c) => c.size === size && c.status === 'valid')
      .map((c) => `${c.name} at ${c.timestamp === undefined ? '?' : isoTime(c.timestamp)}`)
    const ignored = this.listed.filter((c) => c.size === size && c.status === 'unknown-key').length
    throw new WitnessFailure(
      summary,
      `the latest checkpoint (size ${size}) carries ${cosigners.length} valid cosignature(s) of distinct current members` +
        `${by.length === 0 ? '' : ` (${by.join(', ')})`}, ${min} required` +
        `${ignored === 0 ? '' : `; ${ignored} line(s) by keys that are not current members' were ignored`}; ` +
        (largestMet === undefined
          ? `no checkpoint carries ${min}`
          : `the largest checkpoint that carries ${min} is of size ${largestMet}; entries after it are vouched for by the log's own signature alone`),
    )
  }
}

/** The witness requirement failed; the summary goes into the report. */
export class WitnessFailure extends Failure {
  readonly summary: WitnessSummary
  constructor(summary: WitnessSummary, reason: string) {
    super(reason)
    this.summary = summary
  }
}
