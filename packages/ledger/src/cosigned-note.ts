import { MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_SIGNATURES } from './constants.ts'
import { parseAnyCosignature } from './cosignature-kind.ts'
import { splitNote } from './signed-note.ts'

/*
 * How a ledger keeps the cosignatures its checkpoints received (docs/ledger.md §4): as extra
 * signature lines on the stored note itself, as C2SP signed-note has it, one per witness.
 */

/** A witness as a signature line names it: key name and key ID. */
function witnessOf(line: { name: string; keyId: Uint8Array }): string {
  return `${line.name} ${Buffer.from(line.keyId).toString('hex')}`
}

/**
 * `note` with the cosignature `lines` (of either kind, cosignature-kind.ts) appended (without newlines, as signCosignature returns
 * them), one line per witness (key name and key ID): a witness whose line the note already holds,
 * or that came earlier in `lines`, keeps its first line and the later one is dropped. Lines that
 * would take the note past what readers accept (MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_SIGNATURES)
 * are dropped too: `added` tells the caller how many went in. Checks each line's shape (throws
 * CheckpointFormatError, adding none), not its signature.
 */
export function mergeCosignatureLines(
  note: string,
  lines: readonly string[],
): { note: string; added: number } {
  const cosignatures = lines.map((line) => ({ line, ...parseAnyCosignature(line) }))
  const { signatures } = splitNote(note)
  const present = new Set(signatures.map(witnessOf))
  let count = signatures.length
  let bytes = Buffer.byteLength(note)
  let out = note
  let added = 0
  for (const c of cosignatures) {
    const witness = witnessOf(c)
    const lineBytes = Buffer.byteLength(c.line) + 1
    if (present.has(witness)) continue
    if (count + 1 > MAX_CHECKPOINT_SIGNATURES || bytes + lineBytes > MAX_CHECKPOINT_BYTES) continue
    present.add(witness)
    out += `${c.line}\n`
    count++
    bytes += lineBytes
    added++
  }
  return { note: out, added }
}

/**
 * Adds cosignature lines of either kind (without newlines, as `signCosignature` returns them) to a signed
 * checkpoint note; lines already there are not repeated. Checks each line's shape, not its signature.
 */
export function addCosignatures(note: string, lines: readonly string[]): string {
  const present = new Set(splitNote(note).signatures.map((s) => s.line))
  let out = note
  for (const line of lines) {
    parseAnyCosignature(line)
    if (present.has(line)) continue
    present.add(line)
    out += `${line}\n`
  }
  splitNote(out) // the result must still be a note a reader accepts (size, line count)
  return out
}
