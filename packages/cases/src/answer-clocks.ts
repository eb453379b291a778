import type { Case, CaseStatus } from './case.ts'
import { CLOCK_PRESETS, REQUEST_TYPES, type RequestType, URGENCIES, type Urgency } from './constants.ts'
import type { FormReader } from './problems.ts'

/**
 * How long the requested side has to answer (deliver the data, preserve, or end the case), per
 * urgency: `default` for every request type, and optional rows for the types that differ.
 */
export type AnswerDeadlineMinutes = { readonly default: Readonly<Record<Urgency, number>> } & {
  readonly [T in RequestType]?: Readonly<Record<Urgency, number>>
}

/** The answer deadlines of a configuration written before answer clocks: the default preset's. */
function defaultAnswerDeadlines(): AnswerDeadlineMinutes {
  return CLOCK_PRESETS['pocnet-default'].answerDeadlineMinutes
}

/**
 * The states in which the requested side still owes the answer. Any other state (preserved, data
 * disclosed, answered, refused, any ending) stops the clock, including states added later.
 */
const AWAITING_ANSWER: ReadonlySet<CaseStatus> = new Set<CaseStatus>([
  'sent',
  'delivered',
  'acknowledged',
  'in-progress',
  'needs-information',
  'limitation-notified',
])

/** Request types that expect no answer at all: an Art. 26 offer of information is answered by taking note. */
export const NO_ANSWER_EXPECTED: ReadonlySet<RequestType> = new Set<RequestType>(['spontaneous-information'])

/** The minutes the table gives a request type and urgency: its own row, or the default. */
export function answerDeadlineMinutes(
  table: AnswerDeadlineMinutes | undefined,
  type: RequestType,
  urgency: Urgency,
): number {
  const t = table ?? defaultAnswerDeadlines()
  return (t[type] ?? t.default)[urgency]
}

/**
 * When the answer is due, counted from receipt (delivery) like Regulation (EU) 2023/1543 Art. 10
 * counts from receipt of the order, or from sending while no delivery is recorded; undefined when
 * no answer is owed any more or the type expects none.
 */
export function answerDueAt(c: Case, table: AnswerDeadlineMinutes | undefined): string | undefined {
  if (!AWAITING_ANSWER.has(c.status) || NO_ANSWER_EXPECTED.has(c.type)) return undefined
  const from = Date.parse(c.deliveredAt ?? c.openedAt)
  return new Date(from + answerDeadlineMinutes(table, c.type, c.request.urgency) * 60_000).toISOString()
}

/**
 * Reads the `answerDeadlineMinutes` table of a clock configuration. Absent, it is the default
 * table: configuration files written before answer clocks stay valid.
 */
export function readAnswerDeadlines(
  reader: FormReader,
  value: unknown,
  maxMinutes: number,
): AnswerDeadlineMinutes | undefined {
  if (value === undefined || value === null) return defaultAnswerDeadlines()
  const path = 'answerDeadlineMinutes'
  const f = reader.object(value, path, ['default', ...REQUEST_TYPES])
  if (f === undefined) return undefined
  if (f.default === undefined || f.default === null) {
    return reader.report(
      `${path}.default`,
      'required',
      'is required: the minutes per urgency for every request type without its own row',
    )
  }
  const table: Record<string, Record<Urgency, number>> = {}
  for (const row of ['default', ...REQUEST_TYPES]) {
    if (row !== 'default' && !reader.present(f, row)) continue
    const rowPath = `${path}.${row}`
    const r = reader.object(f[row], rowPath, URGENCIES)
    const minutes: Partial<Record<Urgency, number>> = {}
    for (const urgency of URGENCIES) {
      const v = r && reader.integer(r, urgency, rowPath, { required: true, min: 1, max: maxMinutes })
      if (v !== undefined) minutes[urgency] = v
    }
    if (URGENCIES.every((u) => minutes[u] !== undefined)) table[row] = minutes as Record<Urgency, number>
  }
  return table.default === undefined ? undefined : (table as AnswerDeadlineMinutes)
}
