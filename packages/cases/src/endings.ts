import {
  DUAL_CRIMINALITY_EXEMPT_ARTICLES,
  REFUSAL_GROUNDS,
  type RefusalGround,
  type RequestType,
} from './constants.ts'

/** The grounds a request type may be refused on, and the article that lists them. */
export interface GroundsOfType {
  readonly article: string
  readonly grounds: readonly RefusalGround[]
}

/**
 * Which refusal grounds each request type admits, declared once. Art. 29(5) and Art. 30(2) list
 * their grounds exhaustively, so `other` is refused there. The other services have no closed
 * list: evidence collection is mutual assistance, refused on the grounds of Art. 27(4) or of the
 * requested Party's law and treaties (Art. 25(4)); an emergency disclosure under SAP Art. 9 is
 * decided under the requested Party's law; the Art. 35 services (advice, legal information,
 * locating a suspect) are a pocnet choice: any ground, `other` explained.
 */
export const REFUSAL_GROUNDS_BY_TYPE: Record<RequestType, GroundsOfType> = {
  preservation: {
    article: 'Art. 29(4)-(5)',
    grounds: ['political-offence', 'essential-interests', 'dual-criminality-reservation'],
  },
  'traffic-data-disclosure': { article: 'Art. 30(2)', grounds: ['political-offence', 'essential-interests'] },
  'emergency-disclosure': { article: "SAP Art. 9 (the requested Party's law)", grounds: REFUSAL_GROUNDS },
  'evidence-collection': { article: 'Art. 25(4), Art. 27(4)', grounds: REFUSAL_GROUNDS },
  'technical-advice': { article: 'Art. 35 (pocnet choice)', grounds: REFUSAL_GROUNDS },
  'legal-information': { article: 'Art. 35 (pocnet choice)', grounds: REFUSAL_GROUNDS },
  'locate-suspect': { article: 'Art. 35 (pocnet choice)', grounds: REFUSAL_GROUNDS },
  // SAP Art. 10(7)-(8): the mutual assistance treaty between the Parties, or without one Art. 27(4)
  'emergency-assistance': { article: 'SAP Art. 10(7)-(8), Art. 27(4)', grounds: REFUSAL_GROUNDS },
  // Art. 26 asks for nothing: there is nothing to refuse (its case takes no `refused`)
  'spontaneous-information': { article: 'Art. 26 (nothing is asked)', grounds: [] },
}

/**
 * Why a refusal on `ground` is not allowed for this request, or undefined. `offenceArticles` are
 * the Convention articles the request's offence falls under (Art. 29(4) reads them).
 */
export function refusalGroundProblem(
  type: RequestType,
  ground: RefusalGround,
  offenceArticles: readonly number[],
): string | undefined {
  const allowed = REFUSAL_GROUNDS_BY_TYPE[type]
  if (!allowed.grounds.includes(ground)) {
    if (ground === 'dual-criminality-reservation')
      return `${allowed.article} allows no dual-criminality refusal of a ${type} request`
    return `${allowed.article} lists the only grounds to refuse a ${type} request: ${allowed.grounds.join(', ')}; ${ground} is not one of them`
  }
  if (ground === 'dual-criminality-reservation' && type === 'preservation') {
    const exempt = offenceArticles.filter((a) =>
      (DUAL_CRIMINALITY_EXEMPT_ARTICLES as readonly number[]).includes(a),
    )
    if (exempt.length > 0)
      return `Art. 29(4) does not allow a dual-criminality refusal for an offence under Art. ${exempt.join(', ')}`
  }
  return undefined
}

/**
 * Why a request could not be executed, as opposed to refused: nothing was withheld, there was
 * nothing to give. `data-not-held` and `data-already-deleted` are the two outcomes Art. 29(6)
 * guards against; `provider-not-on-territory` means the data is not "located within the territory"
 * Art. 29(1) and Art. 30(1) presuppose (the requester may ask the country it is in);
 * `identifiers-insufficient` means the request's Art. 29(2)(c)-(d) information does not single
 * out the data or its custodian (the requester may send a new request).
 */
export const NOT_EXECUTED_REASONS = [
  'data-not-held',
  'data-already-deleted',
  'provider-not-on-territory',
  'identifiers-insufficient',
] as const
export type NotExecutedReason = (typeof NOT_EXECUTED_REASONS)[number]

/** The requested Party's decision on the MLA request that followed a preservation (Art. 29(7)). */
export const MLA_DECISIONS = ['granted', 'refused'] as const
export type MlaDecision = (typeof MLA_DECISIONS)[number]
