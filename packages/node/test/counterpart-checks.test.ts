import { type CaseRequest, REQUEST_TYPES, validateRequest } from '@pocnet/cases'
import { type DirectoryRecord, SERVICES } from '@pocnet/directory'
import { preservationForm, testContact } from '@pocnet/test-utils'
import { describe, expect, it } from 'vitest'
import { counterpartRoutes } from '../src/control/routes/counterpart.ts'
import { checkAgainstCounterpart, SERVICE_OF_REQUEST_TYPE } from '../src/counterpart/checks.ts'

function record(over: Partial<DirectoryRecord> = {}): DirectoryRecord {
  return {
    ...testContact('FR'),
    country: 'FR',
    seq: 1,
    issuedAt: 0,
    expiresAt: 1,
    boxPublicKey: new Uint8Array(32),
    addresses: [],
    ...over,
  }
}

function request(form: Record<string, unknown>): CaseRequest {
  const v = validateRequest(form)
  if (!v.ok) throw new Error(JSON.stringify(v.problems))
  return v.value
}

/** The fields every form shares, from the preservation form. */
function header(): Record<string, unknown> {
  const { requestKind, offence, facts, data, custodian, necessity, mlaIntent, ...rest } = preservationForm()
  return rest
}

const preservation = (over: Record<string, unknown> = {}) => request({ ...preservationForm(), ...over })
const offence = { description: 'Fraud', legalProvisions: 'Code pénal 313-1', penalties: '5 years' }

const emergencyAssistance = (language = 'en') =>
  request({
    ...header(),
    schema: 'pocnet/emergency-assistance/v1',
    urgency: 'emergency',
    language,
    offence,
    facts: 'A hospital is encrypted.',
    emergency: { facts: 'Lives at risk.', assistanceRelation: 'The seizure stops the wipe.' },
    assistance: { description: 'Seize the server.' },
    centralAuthorityCopy: { authority: 'Ministry of Justice' },
  })

describe('SERVICE_OF_REQUEST_TYPE', () => {
  it('names a directory service for every request type but Art. 26 spontaneous information', () => {
    for (const type of REQUEST_TYPES) {
      const service = SERVICE_OF_REQUEST_TYPE[type]
      if (type === 'spontaneous-information') expect(service).toBeNull()
      else expect(SERVICES).toContain(service)
    }
  })
})

describe('checkAgainstCounterpart', () => {
  it('finds nothing when the counterpart offers the service in the request’s language', () => {
    expect(checkAgainstCounterpart(preservation(), record())).toEqual({ refusals: [], warnings: [] })
  })

  it('refuses a type whose service is not offered, naming the service and the country', () => {
    const { refusals } = checkAgainstCounterpart(preservation(), record({ services: ['technical-advice'] }))
    expect(refusals).toEqual([
      {
        rule: 'service',
        message:
          'FR does not offer the service preservation, which a preservation request needs: its directory record lists technical-advice',
      },
    ])
  })

  it('refuses an Art. 10 request where no SAP Art. 10(9) declaration takes it at the 24/7 point', () => {
    const mla = { name: 'Ministère de la Justice' }
    const { refusals } = checkAgainstCounterpart(emergencyAssistance(), record({ mlaAuthority: mla }))
    expect(refusals).toEqual([
      expect.objectContaining({ rule: 'declaration', declaration: 'sap10-9-via-24-7' }),
    ])
    expect(refusals[0]!.message).toMatch(/Art\. 10\(9\).*central authority \(Ministère de la Justice\)/)
    const declared = record({ declarations: ['sap10-9-via-24-7'] })
    expect(checkAgainstCounterpart(emergencyAssistance(), declared).refusals).toEqual([])
  })

  it.each([
    ['en', ['en'], false],
    ['pt-BR', ['pt'], false],
    ['EN', ['en'], false],
    ['en', ['fr', 'de'], true],
    ['pt', ['pt-BR'], true],
  ])('language %s to a desk working in %j: warning %s', (language, languages, warned) => {
    const { warnings, refusals } = checkAgainstCounterpart(preservation({ language }), record({ languages }))
    expect(refusals).toEqual([])
    expect(warnings.map((w) => w.rule)).toEqual(warned ? ['language'] : [])
  })

  it('warns of the Art. 29(4) reservation only for an offence outside Arts 2-11', () => {
    const reserved = record({ declarations: ['art29-4-dual-criminality'] })
    const outside = checkAgainstCounterpart(preservation({ offence: { description: 'Fraud' } }), reserved)
    expect(outside.warnings).toEqual([
      expect.objectContaining({ rule: 'declaration', declaration: 'art29-4-dual-criminality' }),
    ])
    expect(outside.warnings[0]!.message).toMatch(/Art\. 29\(4\).*offence\.conventionArticles/)
    const inside = preservation({ offence: { description: 'Illegal access', conventionArticles: [2] } })
    expect(checkAgainstCounterpart(inside, reserved).warnings).toEqual([])
    expect(
      checkAgainstCounterpart(preservation({ offence: { description: 'Fraud' } }), record()).warnings,
    ).toEqual([])
  })

  it('warns of the SAP Art. 9(1)(b) declaration on an emergency disclosure request', () => {
    const form = request({
      ...header(),
      schema: 'pocnet/emergency-disclosure/v1',
      urgency: 'emergency',
      underSecondProtocol: true,
      providers: [{ name: 'Example Mail', address: '1 rue de l’Exemple, Paris' }],
      offence,
      emergency: { facts: 'A child is missing.', dataRelation: 'The account was used to lure them.' },
      data: { description: 'Subscriber data and last logins' },
    })
    const { warnings } = checkAgainstCounterpart(
      form,
      record({ declarations: ['sap9-1-b-no-subscriber-only'] }),
    )
    expect(warnings).toEqual([
      expect.objectContaining({ rule: 'declaration', declaration: 'sap9-1-b-no-subscriber-only' }),
    ])
  })
})

describe('POST /counterpart-checks', () => {
  const { parse } = counterpartRoutes.check
  const raw = (body: unknown) => ({ params: {}, query: new URLSearchParams(), body })

  it('takes the country and the form', () => {
    expect(parse(raw({ to: 'FR', request: { schema: 'x' } }))).toEqual({ to: 'FR', request: { schema: 'x' } })
  })

  it('names a bad country', () => {
    expect(() => parse(raw({ to: 'France', request: {} }))).toThrow(/^to: must be /)
  })
})
