import type { RequestType } from '../src/index.ts'

/** Complete, valid forms as a PoC would write them (plain JSON, as parsed from YAML). */
const common = {
  issuedAt: '2026-11-28T14:03:00+01:00',
  caseReference: 'HU-NNI-2026-0412',
  urgency: 'urgent',
  language: 'en',
  requestingAuthority: {
    name: 'National Bureau of Investigation, Cybercrime Unit',
    officer: { name: 'Anna Kovács', role: 'Detective inspector' },
    phones: ['+36 1 234 5678', '+36-30-123-4567'],
    email: 'poc247@nni.example.hu',
    officeHours: 'Mon-Fri 08:00-16:00; 24/7 desk otherwise',
    timeZone: 'Europe/Budapest',
    preferredChannel: 'pocnet',
  },
  requestedAuthority: 'OCLCTIC 24/7',
  confirmationContact: { name: 'Duty officer', phone: '+36 1 234 0000' },
  investigatingAuthority: { name: 'Budapest Prosecutor', reference: 'B-123/2026' },
  handling: { confidentiality: 'confidential', doNotNotifySubscriber: true },
  attachments: [{ name: 'headers.txt', sha256: 'a'.repeat(64), size: 2048 }],
  relatedCases: [],
}

const offence = {
  description: 'Illegal access and ransomware extortion of a hospital',
  legalProvisions: 'Criminal Code s. 423',
  penalties: 'up to 8 years',
  conventionArticles: [2, 5],
}

const ipIdentifier = { type: 'ip', address: '203.0.113.7', port: 51514, timestamp: '2026-11-27T22:41:09Z' }

export const EXAMPLES: Record<RequestType, Record<string, unknown>> = {
  preservation: {
    schema: 'pocnet/preservation/v1',
    ...common,
    requestKind: 'new',
    offence,
    facts: 'On 27 November the hospital network was encrypted; the ransom note points to a mailbox.',
    data: {
      description: 'Subscriber data and connection logs for the account and address below',
      relationToOffence:
        'The attacker logged in from this address and used this account for the ransom demand',
      identifiers: [
        ipIdentifier,
        { type: 'email', address: 'payme@mail.example.fr' },
        { type: 'ip', address: '2001:db8::7', timestamp: '2026-11-27T23:41:09+01:00' },
      ],
    },
    custodian: { provider: 'Example Mail SAS', country: 'FR' },
    necessity: 'The provider deletes connection logs after 30 days.',
    mlaIntent: { intendsToSubmit: true, expectedBy: '2026-12-20T12:00:00+01:00' },
  },
  'traffic-data-disclosure': {
    schema: 'pocnet/traffic-data-disclosure/v1',
    ...common,
    preservationReference: 'FR-PRES-2026-88',
    offence,
    facts: 'The attacker connected through a relay hosted in France.',
    identifiers: [ipIdentifier],
    purpose: 'Identify the upstream provider',
  },
  'emergency-disclosure': {
    schema: 'pocnet/emergency-disclosure/v1',
    ...common,
    urgency: 'emergency',
    underSecondProtocol: true,
    providers: [{ name: 'Example Social Ltd', address: '1 Harbour Street, Dublin' }],
    offence,
    emergency: {
      facts: 'A minor announced suicide in a live stream an hour ago.',
      dataRelation: 'The subscriber data locates the device streaming',
    },
    data: {
      description: 'Subscriber data and last login IP of the account',
      identifiers: [{ type: 'account', service: 'Example Social', username: 'lost_girl_09' }],
    },
    proceduralInstructions: 'Call the duty officer before disclosing',
  },
  'technical-advice': {
    schema: 'pocnet/technical-advice/v1',
    ...common,
    topic: 'Ransomware negotiation portals',
    question: 'How do you preserve evidence from an onion negotiation portal?',
    identifiers: [{ type: 'url', url: 'http://examplexyz.onion/chat' }],
  },
  'evidence-collection': {
    schema: 'pocnet/evidence-collection/v1',
    ...common,
    offence,
    facts: 'The ransom was paid to a wallet hosted by a local exchange.',
    evidence: {
      description: 'KYC records of the wallet holder',
      identifiers: [{ type: 'other', description: 'bitcoin address', value: 'bc1qexample' }],
    },
    legalBasis: 'Art. 35(1)(c)',
  },
  'legal-information': {
    schema: 'pocnet/legal-information/v1',
    ...common,
    topic: 'Retention periods',
    question: 'How long must providers keep IP connection logs in your country?',
  },
  'locate-suspect': {
    schema: 'pocnet/locate-suspect/v1',
    ...common,
    offence,
    facts: 'The suspect was seen entering your country on 20 November.',
    suspect: {
      name: 'John Doe',
      aliases: ['jd'],
      dateOfBirth: '1990-04-23',
      nationality: 'DE',
      identifiers: [
        { type: 'phone', number: '+49 30 1234567' },
        { type: 'domain', domain: 'example.de' },
      ],
    },
  },
}

export function clone<T>(value: T): T {
  return structuredClone(value)
}
