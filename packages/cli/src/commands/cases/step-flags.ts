import type { CaseEventKind } from '@pocnet/cases'
import { CliError } from '../../errors.ts'

/**
 * For each event a `pocnet case` step sends, the flag that sets each of its fields: a refusal of
 * the step names what the user typed (`--third-country`), not the event's field (`thirdCountry`).
 * A field set by a repeated flag names the item (`--identifier #2`). A test checks that every
 * field of every step's event has its flag here, and that each flag is one of the step's options.
 */
export const FLAG_OF_FIELD: Partial<Record<CaseEventKind, Readonly<Record<string, string>>>> = {
  acknowledged: { by: '--by', role: '--role' },
  'in-progress': { note: '--text' },
  'information-requested': { questions: '--text' },
  'information-provided': { answer: '--text' },
  'limitation-notified': { limit: '--limit', details: '--text' },
  'proceed-confirmed': { note: '--text' },
  preserved: {
    providerReference: '--provider-ref',
    grantedDays: '--days',
    expiresAt: '--expires-at',
    provider: '--provider',
    dataCategory: '--data-category',
    dataFrom: '--data-from',
    dataTo: '--data-to',
  },
  'partially-disclosed': {
    thirdCountry: '--third-country',
    thirdCountryProvider: '--provider',
    trafficData: '--traffic-data',
    identifiers: '--identifier',
    attachments: '--attach',
  },
  answered: { summary: '--text', attachments: '--attach' },
  refused: { ground: '--ground', explanation: '--reason' },
  'extension-requested': { reason: '--reason', days: '--days', providerReference: '--provider-ref' },
  'extension-granted': { grantedDays: '--days', expiresAt: '--expires-at' },
  'extension-refused': { reason: '--reason' },
  'mla-submitted': { mlaReference: '--mla-ref', authority: '--authority' },
  'mla-received': { authorityReference: '--authority-ref', mlaReference: '--mla-ref' },
  'mla-decided': { decision: '--decision', note: '--text' },
  'not-executed': { reason: '--ground', explanation: '--reason' },
  released: { providerReference: '--provider-ref', reason: '--reason' },
  'conditions-stated': { conditions: '--condition', basis: '--basis' },
  'conditions-accepted': { note: '--text' },
  'conditions-declined': { reason: '--reason' },
  withdrawn: { reason: '--reason' },
  closed: { reason: '--reason' },
}

const ITEM = /^([^.[]+)(?:\[(\d+)\])?(.*)$/

/**
 * Where a problem of a `kind` event lies, as the user typed it: `thirdCountry` → `--third-country`,
 * `identifiers[1].timestamp` → `--identifier #2 timestamp`. A field no flag sets (the node's own
 * `at`) keeps its path.
 */
export function flagPath(kind: string, path: string): string {
  const m = ITEM.exec(path)
  const flag = m === null ? undefined : FLAG_OF_FIELD[kind as CaseEventKind]?.[m[1]!]
  if (m === null || flag === undefined) return path
  const [, , index, rest] = m
  const item = index === undefined ? '' : ` #${Number(index) + 1}`
  const inner = rest!.replace(/^\./, '')
  return `${flag}${item}${inner === '' ? '' : ` ${inner}`}`
}

/** A refused step's error (ERR_INVALID_EVENT), each problem named by the flag that set its field. */
export function withFlagNames(e: CliError, kind: string): CliError {
  const problems = (e.details as { problems?: unknown } | undefined)?.problems
  if (!Array.isArray(problems)) return e
  return new CliError(e.code, e.message, {
    lines: problems.map(
      (p: { path?: string; message?: string; rule?: string }) =>
        `  ${flagPath(kind, p.path ?? '') || '(step)'}: ${p.message} [${p.rule}]`,
    ),
    details: e.details,
    exitCode: e.exitCode,
    ...(e.hint === undefined ? {} : { hint: e.hint }),
  })
}
