import { IDENTIFIER_TYPES, type IdentifierType } from './constants.ts'
import { checkDomain, checkEmail, checkPhone, isIPv4, isIPv6 } from './formats.ts'
import type { Identifier } from './identifiers.ts'

/*
 * Index keys: the same identifier written differently gives the same key, so a search or the
 * repeated-identifier warning finds it whatever the case of a domain, the form of an IPv6 address
 * or the spacing of a phone number. A key is `<type>:<normal form>`; references are `ref:…`.
 */

/** What a found key is: an identifier of one type, or one of the requester's references. */
export type KeyKind = IdentifierType | 'reference'

/** The kinds a search may be narrowed to, in the order a help text lists them. */
export const SEARCH_KINDS: readonly KeyKind[] = ['reference', ...IDENTIFIER_TYPES]

const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/

/** An IP address in one form: IPv6 compressed lower case (RFC 5952), an IPv4-mapped one as IPv4. */
export function normalIp(address: string): string | undefined {
  if (isIPv4(address)) return address
  if (!isIPv6(address)) return undefined
  // the URL parser writes IPv6 hosts in the RFC 5952 form
  const host = new URL(`http://[${address}]/`).hostname.slice(1, -1)
  const mapped = MAPPED_IPV4.exec(host)
  if (mapped === null) return host
  const [hi, lo] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)]
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
}

/** Free text folded for comparison: Unicode-normalised, lower case, spaces collapsed. */
function folded(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase()
}

/**
 * An e-mail address in lower case, the local part too: providers almost all treat it without
 * case, and a missed match costs an investigation more than an extra one.
 */
function normalEmail(address: string): string | undefined {
  const checked = checkEmail(address.trim())
  return checked.ok ? checked.value.toLowerCase() : undefined
}

function normalUrl(url: string): string | undefined {
  if (!URL.canParse(url.trim())) return undefined
  const parsed = new URL(url.trim())
  // the parser lower-cases scheme and host, drops a default port and writes the host in punycode
  return parsed.hostname === '' ? undefined : parsed.href
}

/** A user name without case or the leading @ some services write it with. */
function normalUsername(name: string): string {
  return folded(name).replace(/^@/, '')
}

/**
 * The key of an identifier as a form holds it: what a repeated identifier is found by. An
 * account's key names its service, so the same user name on two services is not one identifier.
 */
export function identifierKey(id: Identifier): string | undefined {
  switch (id.type) {
    case 'ip': {
      const ip = normalIp(id.address)
      return ip === undefined ? undefined : `ip:${ip}`
    }
    case 'email': {
      const email = normalEmail(id.address)
      return email === undefined ? undefined : `email:${email}`
    }
    case 'account':
      return `account:${folded(id.service)}/${normalUsername(id.username)}`
    case 'url': {
      const url = normalUrl(id.url)
      return url === undefined ? undefined : `url:${url}`
    }
    case 'domain': {
      const domain = checkDomain(id.domain.trim())
      return domain.ok ? `domain:${domain.value}` : undefined
    }
    case 'phone': {
      const phone = checkPhone(id.number)
      return phone.ok ? `phone:${phone.value}` : undefined
    }
    case 'other':
      return `other:${folded(id.value)}`
  }
}

/** The extra key an account is searched by without its service: its user name alone. */
export function usernameKey(id: Identifier): string | undefined {
  return id.type === 'account' ? `username:${normalUsername(id.username)}` : undefined
}

export function referenceKey(reference: string): string {
  return `ref:${folded(reference)}`
}

/**
 * The keys a search for `text` looks up: as a reference, and as every identifier type the text
 * reads as (an address with @ is an e-mail, a name with dots a domain, and so on); only `kind`
 * when given. An account is found by its user name.
 */
export function searchKeys(text: string, kind?: KeyKind): string[] {
  const wanted = (k: KeyKind) => kind === undefined || kind === k
  const keys: Array<string | undefined> = []
  if (wanted('reference')) keys.push(referenceKey(text))
  if (wanted('ip')) {
    const ip = normalIp(text.trim())
    keys.push(ip === undefined ? undefined : `ip:${ip}`)
  }
  if (wanted('email')) keys.push(identifierKey({ type: 'email', address: text }))
  if (wanted('account')) keys.push(`username:${normalUsername(text)}`)
  if (wanted('url') && /^[a-z][a-z0-9+.-]*:\/\//i.test(text.trim()))
    keys.push(identifierKey({ type: 'url', url: text }))
  if (wanted('domain')) keys.push(identifierKey({ type: 'domain', domain: text }))
  if (wanted('phone')) keys.push(identifierKey({ type: 'phone', number: text }))
  if (wanted('other')) keys.push(identifierKey({ type: 'other', description: '', value: text }))
  return [...new Set(keys.filter((k): k is string => k !== undefined))]
}

/** The kind a key was made for, read back from its prefix. */
export function kindOfKey(key: string): KeyKind {
  const prefix = key.slice(0, key.indexOf(':'))
  if (prefix === 'ref') return 'reference'
  if (prefix === 'username') return 'account'
  return prefix as IdentifierType
}
