import { type CaseEvent, repeatedText, requestKeys } from '@pocnet/cases'
import { describe, expect, it } from 'vitest'
import { clone, EXAMPLES } from '../../cases/test/fixtures/examples.ts'
import { HeldCases } from '../src/casebook/held.ts'
import { repeatedIdentifiers, searchCases } from '../src/casebook/search.ts'

// The node's case index (casebook/search-index.ts) through the book's cases, as the search route
// and the repeated-identifier warning read it.

const OPENED_AT = '2026-11-28T13:10:00Z'

/** The keys of a held case's request, as the book reads them for the warning. */
const keysOf = (cases: HeldCases, id: string) => requestKeys(cases.get(id).opening.request)

function book(): HeldCases {
  return new HeldCases('IT')
}

function hold(
  cases: HeldCases,
  caseId: string,
  form: Record<string, unknown>,
  counterpart = 'FR',
  hidden = false,
) {
  return cases.hold(
    { type: 'request', caseId, openedAt: OPENED_AT, request: form },
    'requester',
    counterpart,
    hidden,
  )
}

function withIdentifiers(identifiers: unknown[], caseReference = 'HU-NNI-2026-0412') {
  const form = clone(EXAMPLES.preservation)
  form.caseReference = caseReference
  ;(form.data as { identifiers: unknown[] }).identifiers = identifiers
  return form
}

const IP = { type: 'ip', address: '2001:db8::7', timestamp: '2026-11-27T23:41:09+01:00' }
const IP_WRITTEN_OTHERWISE = { ...IP, address: '2001:DB8:0:0::0007' }
const MAIL = { type: 'email', address: 'payme@mail.example.fr' }

describe('the case index', () => {
  it('finds a case added by its reference and by an identifier written another way', () => {
    const cases = book()
    hold(cases, 'IT-1', withIdentifiers([IP, MAIL], 'ROMA/2026/9'))
    expect(searchCases(cases, 'roma/2026/9').map((m) => m.id)).toEqual(['IT-1'])
    const found = searchCases(cases, '2001:DB8::0:7')
    expect(found).toMatchObject([{ id: 'IT-1', status: 'sent', finished: false, reference: 'ROMA/2026/9' }])
    expect(found[0]!.matched).toEqual([{ kind: 'ip', path: 'data.identifiers[0]' }])
    expect(searchCases(cases, 'PAYME@MAIL.EXAMPLE.FR', 'email').map((m) => m.id)).toEqual(['IT-1'])
    expect(searchCases(cases, 'payme@mail.example.fr', 'reference')).toEqual([])
    expect(searchCases(cases, '198.51.100.1')).toEqual([])
  })

  it('adds cases as they come, and reads their status when asked', () => {
    const cases = book()
    hold(cases, 'IT-1', withIdentifiers([IP]))
    hold(cases, 'IT-2', withIdentifiers([IP_WRITTEN_OTHERWISE]), 'DE')
    expect(
      searchCases(cases, '2001:db8::7')
        .map((m) => m.id)
        .sort(),
    ).toEqual(['IT-1', 'IT-2'])
    const held = cases.get('IT-1')
    held.current = { ...held.current, status: 'closed' }
    expect(searchCases(cases, '2001:db8::7').find((m) => m.id === 'IT-1')).toMatchObject({
      status: 'closed',
      finished: true,
    })
  })

  it('warns of an identifier in another open case, never of a finished one or of itself', () => {
    const cases = book()
    hold(cases, 'IT-1', withIdentifiers([IP, MAIL]))
    hold(cases, 'IT-2', withIdentifiers([MAIL]), 'ES')
    hold(cases, 'IT-3', withIdentifiers([IP_WRITTEN_OTHERWISE]), 'DE')
    const repeats = repeatedIdentifiers(cases, keysOf(cases, 'IT-3'), 'IT-3')
    expect(repeats).toEqual([
      { type: 'ip', path: 'data.identifiers[0]', cases: [{ id: 'IT-1', country: 'FR', status: 'sent' }] },
    ])
    expect(repeatedText(repeats[0]!)).toBe('ip at data.identifiers[0] is also in open case IT-1 (FR, sent)')
    expect(repeatedText(repeats[0]!)).not.toContain('2001')
    const first = cases.get('IT-1')
    first.current = { ...first.current, status: 'withdrawn' }
    expect(repeatedIdentifiers(cases, keysOf(cases, 'IT-3'), 'IT-3')).toEqual([])
    expect(repeatedIdentifiers(cases, keysOf(cases, 'IT-2'), 'IT-2')).toEqual([])
  })

  it('does not warn of a shared reference, nor show a case not shown yet', () => {
    const cases = book()
    hold(cases, 'IT-1', withIdentifiers([IP], 'SAME-REF'))
    hold(cases, 'IT-2', withIdentifiers([MAIL], 'SAME-REF'))
    expect(repeatedIdentifiers(cases, keysOf(cases, 'IT-2'), 'IT-2')).toEqual([])
    hold(cases, 'IT-3', withIdentifiers([IP]), 'DE', true)
    expect(searchCases(cases, '2001:db8::7').map((m) => m.id)).toEqual(['IT-1'])
    expect(repeatedIdentifiers(cases, keysOf(cases, 'IT-1'), 'IT-1')).toEqual([])
    cases.show('IT-3')
    expect(repeatedIdentifiers(cases, keysOf(cases, 'IT-1'), 'IT-1')[0]?.cases).toEqual([
      { id: 'IT-3', country: 'DE', status: 'sent' },
    ])
  })

  it("indexes the identifiers a step carries, once, as the case's", () => {
    const cases = book()
    hold(cases, 'IT-1', withIdentifiers([MAIL]))
    const disclosure = {
      id: 'e1',
      seq: 4,
      kind: 'partially-disclosed',
      at: '2026-11-29T10:00:00Z',
      side: 'requested',
      thirdCountry: 'US',
      thirdCountryProvider: 'Example Cloud Inc.',
      trafficData: 'relayed via the address below',
      identifiers: [{ type: 'ip', address: '2001:DB8::9', timestamp: '2026-11-28T09:12:00Z' }],
    } as unknown as CaseEvent
    cases.index.addSteps('IT-1', [disclosure])
    cases.index.addSteps('IT-1', [disclosure])
    expect(searchCases(cases, '2001:db8::9')).toMatchObject([
      { id: 'IT-1', matched: [{ kind: 'ip', path: 'partially-disclosed@4.identifiers[0]' }] },
    ])
    hold(cases, 'IT-2', withIdentifiers([{ ...IP, address: '2001:db8::9' }]), 'US')
    expect(repeatedIdentifiers(cases, keysOf(cases, 'IT-2'), 'IT-2')[0]?.cases).toEqual([
      { id: 'IT-1', country: 'FR', status: 'sent' },
    ])
  })
})
