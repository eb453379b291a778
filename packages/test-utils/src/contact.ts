import { CONTACT_KINDS, SERVICES } from '@pocnet/directory'
import type { ContactFile } from '@pocnet/node'

/** Contact details that pass the directory record's field rules. */
export function testContact(country: string): ContactFile {
  return {
    contactKind: CONTACT_KINDS[0],
    unit: `${country} test 24/7 desk`,
    phone: '+3610000000',
    email: `desk@${country.toLowerCase()}.example`,
    languages: ['en'],
    timeZone: 'UTC',
    services: [...SERVICES],
    mlaAuthority: null,
    reservations: [],
  }
}
