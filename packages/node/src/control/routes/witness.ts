import type { EquivocationEvidence } from '@pocnet/ledger'
import { AUDITORS, type NoRequest, nothing, route } from '../contract.ts'

/** Equivocation evidence the node recorded (an `equivocation` ledger entry, the evidence its blob). */
export interface RecordedEvidenceView {
  /** The ledger entry that recorded it. */
  seq: number
  /** The member whose log equivocated. */
  country: string
  /** Who found it: this node's witness (`self`) or the member that sent it. */
  reportedBy: string
  /** When this node recorded it, ISO 8601. */
  recordedAt: string
  /** The evidence as the witness stored it: anyone with the member's roster key can check it. */
  evidence: EquivocationEvidence
}

/** What the node's witness found. */
export const witnessRoutes = {
  evidence: route<NoRequest, { evidence: RecordedEvidenceView[] }>()({
    method: 'GET',
    path: '/witness/evidence',
    roles: AUDITORS,
    parse: nothing,
  }),
}
