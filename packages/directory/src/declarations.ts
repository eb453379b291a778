/**
 * Reservations and declarations a Party made under the Convention or its Second Additional
 * Protocol (SAP) that bear on what its 24/7 point of contact accepts, in a coded form a sending
 * node can check a request against. The free-text `reservations` of a record stay for the rest.
 */
export const DECLARATIONS = {
  /**
   * Convention Art. 29(4): a Party that requires dual criminality for mutual assistance may refuse
   * preservation for offences other than those of Arts 2-11 when dual criminality cannot be met.
   */
  'art29-4-dual-criminality':
    'Convention Art. 29(4) reservation: may refuse preservation for an offence outside Arts 2-11 when dual criminality cannot be met at disclosure',
  /** SAP Art. 9(1)(b): will not execute emergency disclosure requests seeking only subscriber information. */
  'sap9-1-b-no-subscriber-only':
    'SAP Art. 9(1)(b) declaration: does not execute emergency disclosure requests that seek only subscriber information',
  /**
   * SAP Art. 10(9): emergency mutual assistance requests may also be sent to its 24/7 point of
   * contact (with a copy to its central authority through the requesting Party's). Without it, they
   * go to the central authority, not to this network.
   */
  'sap10-9-via-24-7':
    'SAP Art. 10(9) declaration: accepts emergency mutual assistance requests at its 24/7 point of contact, a copy going to its central authority',
} as const satisfies Record<string, string>

export type Declaration = keyof typeof DECLARATIONS
export const DECLARATION_CODES = Object.keys(DECLARATIONS) as Declaration[]

export function isDeclaration(code: string): code is Declaration {
  return Object.hasOwn(DECLARATIONS, code)
}
