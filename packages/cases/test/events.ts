import type { Case, CaseEvent, CaseEventKind, Side } from '../src/index.ts'
import { openCase } from '../src/index.ts'
import { EXAMPLES } from './fixtures.ts'

export const OPENED_AT = '2026-11-28T13:10:00Z'
const DAY_MS = 86_400_000

export function openPreservation(request: unknown = EXAMPLES.preservation): Case {
  return openCase({ caseId: 'case-1', requester: 'HU', requested: 'FR', openedAt: OPENED_AT, request })
}

/** A valid payload for each kind, so tests can drive the machine without repeating data. */
export function payloadFor(kind: CaseEventKind, at: string): Record<string, unknown> {
  const inDays = (days: number) => new Date(Date.parse(at) + days * DAY_MS).toISOString()
  switch (kind) {
    case 'acknowledged':
      return { by: 'Marie Dupont', role: 'duty officer' }
    case 'information-requested':
      return { questions: 'Which time zone is the log time in?' }
    case 'information-provided':
      return { answer: 'UTC' }
    case 'limitation-notified':
      return { limit: 'confidentiality-threatened', details: 'The provider is owned by a suspect.' }
    case 'preserved':
      return { providerReference: 'EXM-7781', grantedDays: 90, expiresAt: inDays(90) }
    case 'partially-disclosed':
      return {
        thirdCountry: 'DE',
        thirdCountryProvider: 'Beispiel Hosting GmbH',
        trafficData: 'The session came from 198.51.100.23, announced by Beispiel Hosting',
        identifiers: [
          { type: 'ip', address: '198.51.100.23', port: 40222, timestamp: '2026-11-27T22:41:08Z' },
        ],
      }
    case 'answered':
      return {
        summary: 'Logs attached',
        attachments: [{ name: 'logs.csv', sha256: 'b'.repeat(64), size: 10 }],
      }
    case 'refused':
      return {
        ground: 'essential-interests',
        explanation: 'Prejudice to ongoing national security operation',
      }
    case 'extension-requested':
      return { reason: 'MLA request delayed by translation', days: 90 }
    case 'extension-granted':
      // 90 more days, counted from the first grant's 90-day expiry (a few hours before `at`)
      return { grantedDays: 90, expiresAt: inDays(180) }
    case 'extension-refused':
    case 'withdrawn':
    case 'closed':
      return { reason: 'as agreed' }
    case 'mla-submitted':
      return { mlaReference: 'MLA-HU-FR-2026-31', authority: 'Ministry of Justice' }
    default:
      return {}
  }
}

let counter = 0

export function eventFor(
  kind: CaseEventKind,
  side: Side,
  seq: number,
  at: string,
  extra: object = {},
): CaseEvent {
  counter += 1
  return { id: `m${counter}`, seq, at, side, kind, ...payloadFor(kind, at), ...extra } as CaseEvent
}

/** Applies a chain of events with increasing seq and time, an hour apart. */
export function hoursAfter(hours: number, from = OPENED_AT): string {
  return new Date(Date.parse(from) + hours * 3_600_000).toISOString()
}
