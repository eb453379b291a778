import { byteSize } from '@pocnet/crypto'
import { type EquivocationEvidence, verifyEvidence } from '@pocnet/ledger'
import { MAX_EVIDENCE_BYTES } from '@pocnet/node/client'
import { CliError, EXIT } from './errors.ts'
import { readInputFile } from './input-file.ts'

/** Most pieces of evidence one file is read for: far more than any log's witnesses ever found. */
const MAX_EVIDENCE_PIECES = 256

/**
 * Most bytes of an evidence file: each piece is at most MAX_EVIDENCE_BYTES (16 KiB) on the wire,
 * and its JSON (notes as text, proof hashes in base64, the keys named) at most twice that.
 */
export const MAX_EVIDENCE_FILE_BYTES = MAX_EVIDENCE_PIECES * 2 * MAX_EVIDENCE_BYTES

/** A checkpoint from outside the ledger for `ledger verify` to hold it to. */
export interface WitnessedCheckpoint {
  note: string
  where: string
}

/** The pieces of evidence in a file: one, a list, or `pocnet witness evidence --json`'s output. */
function evidenceIn(json: unknown): EquivocationEvidence[] {
  if (Array.isArray(json)) return json as EquivocationEvidence[]
  const listed = (json as { evidence?: unknown } | null)?.evidence
  if (Array.isArray(listed))
    return listed.map((e) => ((e as { evidence?: unknown }).evidence ?? e) as EquivocationEvidence)
  return [json as EquivocationEvidence]
}

/**
 * The checkpoints the witnesses cosigned, from an equivocation evidence file: each piece checked
 * against the log's keys first (both notes signed by the log, and a real contradiction), then its
 * held checkpoint (the one the witness had cosigned) is returned for the verifier.
 */
export async function witnessedCheckpoints(
  path: string,
  logKeys: readonly Uint8Array[],
): Promise<WitnessedCheckpoint[]> {
  const bytes = await readInputFile(path, {
    what: 'evidence file',
    maxBytes: MAX_EVIDENCE_FILE_BYTES,
    why: `${MAX_EVIDENCE_PIECES} pieces of evidence of at most ${byteSize(MAX_EVIDENCE_BYTES)} each, written as JSON`,
    code: 'ERR_EVIDENCE',
    hint: 'give the file `pocnet witness evidence --country <CC> --json` wrote on a witnessing node',
    exitCode: EXIT.usage,
  })
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new CliError(
      'ERR_EVIDENCE',
      `--evidence ${path}: not a readable JSON file (${(err as Error).message})`,
      {
        hint: 'give the file `pocnet witness evidence --country <CC> --json` wrote on a witnessing node',
        exitCode: 2,
      },
    )
  }
  return evidenceIn(json).map((evidence, i) => {
    try {
      const { held } = verifyEvidence(evidence, logKeys)
      return {
        note: held.note,
        where: `the checkpoint of size ${held.size} a witness cosigned (--evidence ${path}, item ${i + 1})`,
      }
    } catch (err) {
      throw new CliError('ERR_EVIDENCE', `--evidence ${path}, item ${i + 1}: ${(err as Error).message}`, {
        hint: "evidence is checked against the log's roster key: is it evidence against this country's log?",
        exitCode: 2,
      })
    }
  })
}
