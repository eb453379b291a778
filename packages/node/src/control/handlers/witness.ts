import type { EquivocationEvidence } from '@pocnet/ledger'
import type { PocnetDaemon } from '../../daemon.ts'
import type { RecordedEvidenceView, witnessRoutes } from '../routes/witness.ts'
import type { Handlers } from '../serve.ts'

export function witnessHandlers(daemon: PocnetDaemon): Handlers<typeof witnessRoutes> {
  return {
    evidence: async () => {
      const evidence: RecordedEvidenceView[] = []
      for (const entry of await daemon.ledger.query({ kind: 'equivocation' })) {
        const blob = entry.blobs[0] === undefined ? undefined : await daemon.ledger.getBlob(entry.blobs[0])
        if (blob === undefined) continue
        evidence.push({
          seq: entry.seq,
          country: entry.counterpart ?? '??',
          reportedBy: entry.actor === 'node' ? 'self' : entry.actor.replace(/^country:/, ''),
          recordedAt: new Date(entry.time).toISOString(),
          evidence: JSON.parse(new TextDecoder().decode(blob)) as EquivocationEvidence,
        })
      }
      return { evidence }
    },
  }
}
