import {
  type CaseRequest,
  DUAL_CRIMINALITY_EXEMPT_ARTICLES,
  type RequestType,
  requestTypeOf,
} from '@pocnet/cases'
import type { Declaration, DirectoryRecord, Service } from '@pocnet/directory'

/**
 * The directory service (record `services`) the counterpart must offer to take each request type;
 * null for Art. 26 spontaneous information, which asks for no service.
 */
export const SERVICE_OF_REQUEST_TYPE: Record<RequestType, Service | null> = {
  preservation: 'preservation',
  'traffic-data-disclosure': 'traffic-data-disclosure',
  'emergency-disclosure': 'emergency-disclosure',
  'technical-advice': 'technical-advice',
  'evidence-collection': 'evidence-collection',
  'legal-information': 'legal-information',
  'locate-suspect': 'locating-suspects',
  'emergency-assistance': 'emergency-assistance',
  'spontaneous-information': null,
}

/** One finding of the checks: what rule of the counterpart's record it comes from, and what it means. */
export interface CounterpartFinding {
  readonly rule: 'service' | 'declaration' | 'language' | 'record'
  /** The declaration it rests on, for a `declaration` finding. */
  readonly declaration?: Declaration
  readonly message: string
}

export interface CounterpartChecks {
  /** The counterpart cannot take the request as it is: it is not sent, and no flag overrides this. */
  readonly refusals: CounterpartFinding[]
  /** The counterpart may refuse or be slow: the request is sent, and the sender is told. */
  readonly warnings: CounterpartFinding[]
}

const primary = (tag: string) => tag.split('-')[0]!.toLowerCase()

/** Whether the desk works in the language, or in the same language without the region (pt-BR → pt). */
function acceptsLanguage(languages: readonly string[], language: string): boolean {
  return languages.some(
    (l) => l.toLowerCase() === language.toLowerCase() || l.toLowerCase() === primary(language),
  )
}

function declared(record: DirectoryRecord, code: Declaration): boolean {
  return record.declarations?.includes(code) ?? false
}

/**
 * Checks a request against the counterpart's directory record before it is sent: the service its
 * type needs, the language it is written in, and the declarations that bear on it.
 */
export function checkAgainstCounterpart(request: CaseRequest, record: DirectoryRecord): CounterpartChecks {
  const refusals: CounterpartFinding[] = []
  const warnings: CounterpartFinding[] = []
  const type = requestTypeOf(request)
  const country = record.country
  const service = SERVICE_OF_REQUEST_TYPE[type]
  if (service !== null && !record.services.includes(service)) {
    refusals.push({
      rule: 'service',
      message: `${country} does not offer the service ${service}, which a ${type} request needs: its directory record lists ${record.services.join(', ') || 'no service'}`,
    })
  }
  if (type === 'emergency-assistance' && !declared(record, 'sap10-9-via-24-7')) {
    refusals.push({
      rule: 'declaration',
      declaration: 'sap10-9-via-24-7',
      message: `${country} has not declared under Second Protocol Art. 10(9) (sap10-9-via-24-7) that it takes emergency mutual assistance requests at its 24/7 point of contact: send it to its central authority${record.mlaAuthority === null ? '' : ` (${record.mlaAuthority.name})`}`,
    })
  }
  if (!acceptsLanguage(record.languages, request.language)) {
    warnings.push({
      rule: 'language',
      message: `${country}'s desk works in ${record.languages.join(', ')}; this request is written in ${request.language} (language): it may be refused or delayed until translated`,
    })
  }
  if (request.schema === 'pocnet/preservation/v1' && declared(record, 'art29-4-dual-criminality')) {
    const articles = request.offence.conventionArticles ?? []
    const exempt = articles.some((a) => (DUAL_CRIMINALITY_EXEMPT_ARTICLES as readonly number[]).includes(a))
    if (!exempt) {
      warnings.push({
        rule: 'declaration',
        declaration: 'art29-4-dual-criminality',
        message: `${country} made the Convention Art. 29(4) reservation (art29-4-dual-criminality): the offence names no Convention article 2-11 (offence.conventionArticles), so it may refuse preservation where dual criminality cannot be met at disclosure`,
      })
    }
  }
  if (
    request.schema === 'pocnet/emergency-disclosure/v1' &&
    declared(record, 'sap9-1-b-no-subscriber-only')
  ) {
    warnings.push({
      rule: 'declaration',
      declaration: 'sap9-1-b-no-subscriber-only',
      message: `${country} declared under Second Protocol Art. 9(1)(b) (sap9-1-b-no-subscriber-only) that it does not execute emergency disclosure requests seeking only subscriber information: make sure data.description seeks more`,
    })
  }
  return { refusals, warnings }
}
