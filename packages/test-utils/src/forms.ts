/** A complete Art. 29 preservation request (urgent), as a contact point would write it. */
export function preservationForm(): Record<string, unknown> {
  return {
    schema: 'pocnet/preservation/v1',
    issuedAt: '2026-11-28T14:03:00+01:00',
    caseReference: 'AA-CYB-2026-0001',
    urgency: 'urgent',
    language: 'en',
    requestingAuthority: {
      name: 'Cybercrime Unit',
      officer: { name: 'Anna Example', role: 'Detective inspector' },
      phones: ['+36 1 234 5678'],
      email: 'poc247@unit.example',
      officeHours: '24/7',
      timeZone: 'Europe/Budapest',
      preferredChannel: 'pocnet',
    },
    requestedAuthority: '24/7 desk',
    confirmationContact: { name: 'Duty officer', phone: '+36 1 234 0000' },
    investigatingAuthority: { name: 'Prosecutor', reference: 'B-123/2026' },
    handling: { confidentiality: 'confidential', doNotNotifySubscriber: true },
    attachments: [],
    relatedCases: [],
    requestKind: 'new',
    offence: {
      description: 'Illegal access and ransomware extortion',
      legalProvisions: 'Criminal Code s. 423',
      penalties: 'up to 8 years',
      conventionArticles: [2, 5],
    },
    facts: 'The hospital network was encrypted; the ransom note points to a mailbox.',
    data: {
      description: 'Subscriber data and connection logs',
      relationToOffence: 'The attacker used this address for the ransom demand',
      identifiers: [{ type: 'ip', address: '203.0.113.7', port: 51514, timestamp: '2026-11-27T22:41:09Z' }],
    },
    custodian: { provider: 'Example Mail SAS', country: 'FR' },
    necessity: 'The provider deletes connection logs after 30 days.',
    mlaIntent: { intendsToSubmit: true, expectedBy: '2026-12-20T12:00:00+01:00' },
  }
}

/** A complete Second Additional Protocol Art. 9 emergency disclosure request. */
export function emergencyDisclosureForm(caseReference = 'AA-CYB-2026-0009'): Record<string, unknown> {
  const {
    requestKind: _k,
    facts: _f,
    data: _d,
    custodian: _c,
    necessity: _n,
    mlaIntent: _m,
    ...common
  } = preservationForm()
  return {
    ...common,
    schema: 'pocnet/emergency-disclosure/v1',
    caseReference,
    urgency: 'emergency',
    underSecondProtocol: true,
    providers: [{ name: 'Example Social Ltd', address: '1 Harbour Street, Dublin' }],
    emergency: {
      facts: 'A minor announced suicide in a live stream an hour ago.',
      dataRelation: 'The subscriber data locates the device streaming',
    },
    data: {
      description: 'Subscriber data and last login IP of the account',
      identifiers: [{ type: 'account', service: 'Example Social', username: 'lost_girl_09' }],
    },
  }
}
