import { type EquivocationEvidence, type VerifiedEvidence, verifyEvidence } from '@pocnet/ledger'
import { HarnessError } from './errors.ts'
import type { FederationNode } from './federation.ts'
import { withNodeLedger } from './ledger.ts'

/** One piece of equivocation evidence a node recorded, checked against the accused's key. */
export interface RecordedEvidence extends VerifiedEvidence {
  evidence: EquivocationEvidence
  /** The ledger entry that recorded it. */
  seq: number
}

/**
 * The equivocation evidence against `accused` that a stopped node recorded in its ledger (each
 * `equivocation` entry's blob), each checked with `verifyEvidence` against the accused node's key.
 */
export async function recordedEvidence(
  node: FederationNode,
  accused: FederationNode,
): Promise<RecordedEvidence[]> {
  return withNodeLedger(node, async (ledger) => {
    const out: RecordedEvidence[] = []
    for (const entry of await ledger.query({ kind: 'equivocation', counterpart: accused.country })) {
      const blob = entry.blobs[0] === undefined ? undefined : await ledger.getBlob(entry.blobs[0])
      if (blob === undefined)
        throw new HarnessError('ERR_EVIDENCE', `equivocation entry ${entry.seq} has no evidence blob`)
      const evidence = JSON.parse(new TextDecoder().decode(blob)) as EquivocationEvidence
      out.push({ evidence, seq: entry.seq, ...verifyEvidence(evidence, accused.identity.signingPublicKey) })
    }
    return out
  })
}
