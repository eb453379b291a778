import { type RequestType, SCHEMAS } from './constants.ts'
import type { CaseRequest } from './requests.ts'
import { requestTypeOf } from './requests.ts'

const HEADER = `# Times need their UTC offset: 2026-11-28T14:03:00+01:00, or 2026-11-28T13:03:00Z for UTC.
# Lines starting with # are optional fields: remove the # to use one.
`

const COMMON = `issuedAt: ""                # date and time of this request, with offset
caseReference: ""           # your national case reference
urgency: urgent             # routine | urgent | emergency
language: en                # language this request is written in (en, fr, pt-BR...)
requestingAuthority:        # the authority asking, and how to reach the officer in charge
  name: ""
  officer:
    name: ""
    role: ""                # optional
  phones:
    - ""                    # with + and country code, like +36 1 234 5678
  email: ""
  officeHours: ""           # like "Mon-Fri 08:00-16:00, 24/7 desk otherwise"
  timeZone: ""              # IANA name, like Europe/Budapest: office hours mean nothing without it
  preferredChannel: pocnet  # pocnet | email | phone: where you want the answer
# requestedAuthority: ""    # the authority you are asking, if you know it
# confirmationContact:      # who can confirm this request is genuine (phone or e-mail)
#   name: ""
#   phone: ""
#   email: ""
# investigatingAuthority:   # the police or prosecutor running the investigation, if not you
#   name: ""
#   reference: ""
#   contact: ""
# handling:
#   confidentiality: confidential   # standard | confidential | strictly-confidential
#   doNotNotifySubscriber: true     # ask the provider not to tell its customer
#   instructions: ""
attachments: []             # files by hash: - { name: "log.txt", sha256: "<64 hex>", size: 1234 }
relatedCases: []            # earlier requests: - { relation: related-to, reference: "..." }
                            #   relation: extension-of | follow-up-of | related-to
                            #   conditionsOnUse: ["..."]  the conditions on use the earlier
                            #   case's data is bound by (SAP Art. 9(7), Art. 28(3)); a follow-up
                            #   written by \`pocnet case followup\` fills them in
`

/**
 * The identifier list of a form. An optional one is commented out like every optional field, so
 * a form filled in only where it must be still passes: an empty list entry left in would not.
 */
function identifiers(indent: string, key: string, note: 'optional' | (string & {})): string {
  const block = identifierBlock(
    indent,
    key,
    note === 'optional' ? 'optional: remove the # of these lines to use it' : note,
  )
  if (note !== 'optional') return block
  return block.replace(new RegExp(`^${indent}(?=.)`, 'gm'), `${indent}# `)
}

function identifierBlock(indent: string, key: string, note: string): string {
  return `${indent}${key}:${' '.repeat(Math.max(1, 26 - indent.length - key.length))}# ${note}
${indent}  - type: ip                # ip | email | account | url | domain | phone | other
${indent}    address: ""             # IPv4 or IPv6, like 192.0.2.10 or 2001:db8::10
${indent}    timestamp: ""           # required for ip: when it was seen, with offset
${indent}    # port: 0               # source port: needed when the address is shared (carrier-grade NAT)
${indent}    # until: ""             # end of the period of use, with offset
${indent}    # note: ""              # what this address is to the case
${indent}  # Other kinds, same list:
${indent}  # - { type: email, address: "name@example.org" }
${indent}  # - { type: account, service: "Example Mail", username: "jdoe" }
${indent}  # - { type: url, url: "https://example.org/page" }
${indent}  # - { type: domain, domain: "example.org" }
${indent}  # - { type: phone, number: "+36 1 234 5678" }
${indent}  # - { type: other, description: "wallet", value: "..." }
`
}

const OFFENCE = `offence:
  description: ""           # the offence under investigation
  # legalProvisions: ""     # the law it falls under
  # penalties: ""
  # conventionArticles: [2, 7]   # Budapest Convention articles (2-11): no dual-criminality refusal then
facts: ""                   # a brief summary of the facts
`

const BODIES: Record<RequestType, string> = {
  preservation: `# Budapest Convention Art. 29: expedited preservation. (a)-(f) below are all mandatory.
schema: ${SCHEMAS.preservation}
${COMMON}requestKind: new            # new | extension (T-CY(2018)11)
# extensionOf: ""           # for an extension: the reference of the earlier request
# (b) the offence and a brief summary of the facts
${OFFENCE}data:                       # (c) the stored data to preserve and its relationship to the offence
  description: ""
  relationToOffence: ""
${identifiers('  ', 'identifiers', 'at least one')}custodian:                  # (d) who holds the data, or where the system is: provider or location
  provider: ""
  # location: ""
  # country: ""             # ISO code, like HU
necessity: ""               # (e) why the data must be preserved now
mlaIntent:                  # (f) an MLA request for search, seizure or disclosure will follow
  intendsToSubmit: true     # must stay true
  # expectedBy: ""          # when you expect to send it, with offset
  # note: ""
`,
  'traffic-data-disclosure': `# Budapest Convention Art. 30: expedited disclosure of preserved traffic data,
# to find the providers and the path of a communication.
schema: ${SCHEMAS['traffic-data-disclosure']}
${COMMON}preservationReference: ""   # the preservation request the data is held under
${OFFENCE}${identifiers('', 'identifiers', 'at least one: the communication to trace')}# purpose: ""              # what you need to learn from the traffic data
`,
  'emergency-disclosure': `# Second Additional Protocol Art. 9: expedited disclosure of stored data in an emergency
# (a significant and imminent risk to the life or safety of a person). (a)-(h) refer to Art. 9(3).
schema: ${SCHEMAS['emergency-disclosure']}
${COMMON.replace('urgency: urgent             # routine | urgent | emergency', 'urgency: emergency          # must be emergency')}underSecondProtocol: true   # (b) statement that the request is issued under the Protocol; must stay true
providers:                  # (c) name and address of each provider holding the data
  - name: ""
    address: ""
offence:                    # (d) the offence, its legal provisions and penalties
  description: ""
  legalProvisions: ""
  penalties: ""
  # conventionArticles: [2]
emergency:                  # (e) facts showing the emergency, and how the data relate to it
  facts: ""
  dataRelation: ""
data:                       # (f) a detailed description of the data sought
  description: ""
${identifiers('  ', 'identifiers', 'optional')}# proceduralInstructions: ""   # (g) special procedural instructions
# otherInformation: ""      # (h) anything else that may help obtain disclosure
`,
  'technical-advice': `# Budapest Convention Art. 35(1)(a): technical advice.
schema: ${SCHEMAS['technical-advice']}
${COMMON}topic: ""                   # a few words, like "ransomware negotiation channels"
question: ""                # what you need to know
${identifiers('', 'identifiers', 'optional')}`,
  'evidence-collection': `# Budapest Convention Art. 35(1)(c): collection of evidence.
schema: ${SCHEMAS['evidence-collection']}
${COMMON}${OFFENCE}evidence:
  description: ""           # the evidence sought
${identifiers('  ', 'identifiers', 'optional')}# legalBasis: ""            # the legal basis you rely on
`,
  'legal-information': `# Budapest Convention Art. 35(1)(c): provision of legal information.
schema: ${SCHEMAS['legal-information']}
${COMMON}topic: ""                   # a few words, like "subscriber data retention period"
question: ""                # what you need to know about the other country's law or procedure
`,
  'locate-suspect': `# Budapest Convention Art. 35(1)(c): locating a suspect.
schema: ${SCHEMAS['locate-suspect']}
${COMMON}${OFFENCE}suspect:                    # give a name, at least one identifier, or both
  name: ""
  aliases: []
  # dateOfBirth: ""         # like 1990-04-23
  # nationality: ""         # ISO code, like HU
  # lastKnownLocation: ""
${identifiers('  ', 'identifiers', 'accounts, phones, addresses the suspect uses')}`,
  'emergency-assistance': `# Second Additional Protocol Art. 10: emergency mutual assistance, sent to the 24/7 point
# of contact of a Party that declared it accepts such requests there (Art. 10(9)).
schema: ${SCHEMAS['emergency-assistance']}
${COMMON.replace('urgency: urgent             # routine | urgent | emergency', 'urgency: emergency          # must be emergency')}offence:                    # the offence, its legal provisions and penalties
  description: ""
  legalProvisions: ""
  penalties: ""
  # conventionArticles: [2]
facts: ""                   # a summary of the facts of the investigation
emergency:                  # Art. 10(1): the facts showing the emergency, and how the assistance relates to it
  facts: ""
  assistanceRelation: ""
assistance:                 # the measures of assistance sought
  description: ""
${identifiers('  ', 'identifiers', 'optional')}centralAuthorityCopy:       # Art. 10(9): the copy sent at the same time to the requested Party's
  authority: ""             #   central authority, through your own central authority
  # sentAt: ""              # when the copy went, with offset
  # reference: ""           # its reference
# resultsChannel: ""        # Art. 10(6): another channel agreed for the results or an advance copy
`,
  'spontaneous-information': `# Budapest Convention Art. 26: spontaneous information, offered without a prior request
# because it may help the other Party investigate or lead it to make a request. It asks for
# nothing; the other side acknowledges it, and either side closes the case.
schema: ${SCHEMAS['spontaneous-information']}
${COMMON}offence:
  description: ""           # the offence the information concerns
  # legalProvisions: ""
  # conventionArticles: [2]
information:
  summary: ""               # the information itself
${identifiers('  ', 'identifiers', 'optional')}# conditions:               # Art. 26(2): keep it confidential, or use it only under conditions;
#   confidential: true      #   the receiver says so if it cannot comply
#   conditionsOfUse: ""
`,
}

/** An annotated blank form for a request type, as YAML text the CLI prints for a PoC to fill in. */
export function templateFor(type: RequestType): string {
  return `# pocnet ${type} request\n${HEADER}${BODIES[type]}`
}

const TITLES: Record<RequestType, string> = {
  preservation: 'Request for expedited preservation of stored computer data (Budapest Convention Art. 29)',
  'traffic-data-disclosure':
    'Request for expedited disclosure of preserved traffic data (Budapest Convention Art. 30)',
  'emergency-disclosure':
    'Request for expedited disclosure of stored computer data in an emergency (Second Additional Protocol Art. 9)',
  'technical-advice': 'Request for technical advice (Budapest Convention Art. 35(1)(a))',
  'evidence-collection': 'Request for collection of evidence (Budapest Convention Art. 35(1)(c))',
  'legal-information': 'Request for legal information (Budapest Convention Art. 35(1)(c))',
  'locate-suspect': 'Request to locate a suspect (Budapest Convention Art. 35(1)(c))',
  'emergency-assistance': 'Request for emergency mutual assistance (Second Additional Protocol Art. 10)',
  'spontaneous-information': 'Spontaneous information (Budapest Convention Art. 26)',
}

/** Field headings naming the article that makes the field mandatory, for the types that have one. */
const ARTICLE_LABELS: Partial<Record<RequestType, Record<string, string>>> = {
  preservation: {
    requestingAuthority: 'Requesting authority (Art. 29(2)(a))',
    offence: 'Offence (Art. 29(2)(b))',
    facts: 'Summary of the facts (Art. 29(2)(b))',
    data: 'Data to be preserved and its relationship to the offence (Art. 29(2)(c))',
    custodian: 'Custodian or location of the system (Art. 29(2)(d))',
    necessity: 'Necessity of preservation (Art. 29(2)(e))',
    mlaIntent: 'Mutual legal assistance request to follow (Art. 29(2)(f))',
  },
  'emergency-disclosure': {
    requestingAuthority: 'Requesting authority (Art. 9(3)(a))',
    issuedAt: 'Issued at (Art. 9(3)(a))',
    underSecondProtocol: 'Issued under the Second Additional Protocol (Art. 9(3)(b))',
    providers: 'Service providers (Art. 9(3)(c))',
    offence: 'Offence, legal provisions and penalties (Art. 9(3)(d))',
    emergency: 'The emergency and how the data relate to it (Art. 9(3)(e))',
    data: 'Data sought (Art. 9(3)(f))',
    proceduralInstructions: 'Special procedural instructions (Art. 9(3)(g))',
    otherInformation: 'Other information (Art. 9(3)(h))',
  },
  'emergency-assistance': {
    emergency: 'The emergency and how the assistance relates to it (Art. 10(1))',
    centralAuthorityCopy: 'Copy to the central authority (Art. 10(9))',
    resultsChannel: 'Channel for the results (Art. 10(6))',
  },
  'spontaneous-information': {
    information: 'Information offered (Art. 26(1))',
    conditions: 'Confidentiality and conditions of use (Art. 26(2))',
  },
}

function label(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function isScalar(value: unknown): boolean {
  return typeof value !== 'object' || value === null
}

function scalar(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  return typeof value === 'string' ? value.replaceAll('\n', ' ') : String(value)
}

/** Markdown list lines; a list of plain values, or a group of plain fields, fits on one line. */
function renderValue(value: unknown, depth: number): string[] {
  const pad = '  '.repeat(depth)
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad}- (none)`]
    return value.flatMap((item) => {
      if (isScalar(item)) return [`${pad}- ${scalar(item)}`]
      const entries = Object.entries(item as object)
      if (entries.every(([, v]) => isScalar(v))) {
        return [`${pad}- ${entries.map(([k, v]) => `${label(k)}: ${scalar(v)}`).join('; ')}`]
      }
      return [`${pad}-`, ...renderValue(item, depth + 1)]
    })
  }
  return Object.entries(value as object).flatMap(([k, v]) => {
    if (isScalar(v)) return [`${pad}- ${label(k)}: ${scalar(v)}`]
    if (Array.isArray(v) && v.every(isScalar)) {
      return [`${pad}- ${label(k)}: ${v.length === 0 ? '(none)' : v.map(scalar).join(', ')}`]
    }
    return [`${pad}- ${label(k)}:`, ...renderValue(v, depth + 1)]
  })
}

/** A readable Markdown rendering of a request, for printing or an e-mail fallback. */
export function renderSummary(request: CaseRequest): string {
  const type = requestTypeOf(request)
  const labels = ARTICLE_LABELS[type] ?? {}
  const lines = [`# ${TITLES[type]}`, '']
  for (const [key, value] of Object.entries(request)) {
    if (key === 'schema') continue
    const heading = labels[key] ?? label(key)
    if (isScalar(value)) lines.push(`**${heading}:** ${scalar(value)}`, '')
    else lines.push(`## ${heading}`, '', ...renderValue(value, 0), '')
  }
  lines.push(`_Form ${request.schema}_`)
  return `${lines.join('\n')}\n`
}
