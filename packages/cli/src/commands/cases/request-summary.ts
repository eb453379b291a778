import { type CaseRequest, type Identifier, identifiersOf, repeatedText } from '@pocnet/cases'
import { caseRoutes, type RepeatedIdentifier } from '@pocnet/node/control-client'
import type { Context } from '../../context.ts'
import type { CliError } from '../../errors.ts'
import { ellipsis, PAGE_WIDTH } from '../../fit-table.ts'
import { formatTime, out } from '../../output.ts'

/** Why the node could not be asked about a form (its identifiers, the counterpart checks); any other failure is reported. */
export const NOT_ASKED = new Set([
  'ERR_DAEMON_UNREACHABLE',
  'ERR_NO_TOKEN',
  'ERR_UNAUTHENTICATED',
  'ERR_FORBIDDEN',
])

/** How many identifiers the summary lists before "and N more". */
const FIRST_IDENTIFIERS = 3

/** One identifier on one line, as a desk reads it out to a provider. */
export function identifierText(id: Identifier): string {
  switch (id.type) {
    case 'ip':
      return `ip ${id.address}${id.port === undefined ? '' : ` port ${id.port}`} at ${id.timestamp}`
    case 'email':
      return `email ${id.address}`
    case 'account':
      return `account ${id.username} on ${id.service}`
    case 'url':
      return `url ${id.url}`
    case 'domain':
      return `domain ${id.domain}`
    case 'phone':
      return `phone ${id.number}`
    case 'other':
      return `${id.description} ${id.value}`
  }
}

/** A text field at `path` (dotted) of the form, when there is one. */
function textAt(request: CaseRequest, path: string): string | undefined {
  let value: unknown = request
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key]
  return typeof value === 'string' && value !== '' ? value.replaceAll('\n', ' ') : undefined
}

/** What the request asks for, in the field each form keeps it in. */
const ASKED_AT = [
  'data.description',
  'evidence.description',
  'question',
  'purpose',
  'emergency.dataRelation',
  'suspect.name',
  'assistance.description',
]

/**
 * The request at a glance for the officer who received it (`case show` without --request): what,
 * how urgent, the offence, what is asked, the identifiers (the first few), the requester's
 * references, handling and deadlines; each line cut to the page, never wrapped.
 */
export function requestSummaryLines(
  request: CaseRequest,
  type: string,
  zone: string,
  caseId: string,
): string[] {
  const lines: string[] = [`  type         ${type}, ${request.urgency}`]
  const refs = [request.caseReference, request.investigatingAuthority?.reference].filter(Boolean)
  lines.push(`  reference    ${refs.join(' (investigation ')}${refs.length > 1 ? ')' : ''}`)
  lines.push(
    `  from         ${request.requestingAuthority.name}, ${request.requestingAuthority.officer.name}`,
  )
  const offence = textAt(request, 'offence.description') ?? textAt(request, 'topic')
  if (offence !== undefined) lines.push(`  offence      ${offence}`)
  const asked = ASKED_AT.map((p) => textAt(request, p)).find((t) => t !== undefined)
  if (asked !== undefined) lines.push(`  asked        ${asked}`)
  const ids = identifiersOf(request)
  if (ids.length > 0) {
    lines.push(`  identifiers  ${ids.length}`)
    for (const { identifier } of ids.slice(0, FIRST_IDENTIFIERS))
      lines.push(`    ${identifierText(identifier)}`)
    if (ids.length > FIRST_IDENTIFIERS) lines.push(`    and ${ids.length - FIRST_IDENTIFIERS} more`)
  }
  const handling = request.handling
  if (handling !== undefined)
    lines.push(
      `  handling     ${handling.confidentiality}${handling.doNotNotifySubscriber ? ', do not notify the subscriber' : ''}`,
    )
  const expected = textAt(request, 'mlaIntent.expectedBy')
  if (expected !== undefined) lines.push(`  MLA by       ${formatTime(expected, zone)}`)
  if (request.attachments.length > 0) lines.push(`  attachments  ${request.attachments.length}`)
  lines.push(`  (the whole request: pocnet case show ${caseId} --request)`)
  return lines.map((l) => ellipsis(l, PAGE_WIDTH))
}

/** The warning that the request's identifiers are in other open cases, without their values. */
export function repeatedLines(repeats: readonly RepeatedIdentifier[]): string[] {
  return repeats.map((r) => out.style('yellow', ellipsis(`  ! ${repeatedText(r)}`, PAGE_WIDTH)))
}

/**
 * For `request send --check`, which needs no daemon: the form's identifiers in open cases, asked
 * of the node when it runs and the user has a token; undefined when it could not be asked.
 */
export async function repeatsIfReachable(
  ctx: Context,
  form: unknown,
): Promise<RepeatedIdentifier[] | undefined> {
  try {
    return (await ctx.call(caseRoutes.repeats, { body: { request: form } })).repeatedIdentifiers
  } catch (e) {
    // the form's own check stands without the node: not running, or this user may not ask it
    if (NOT_ASKED.has((e as CliError).code)) return undefined
    throw e
  }
}
