import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { type DirectoryMemory, type RosterState, verifyRecord } from '@pocnet/directory'

/** How long the addresses read from directory records are used before they are read again. */
const RECORDS_READ_EVERY_MS = 5_000
/** Most addresses remembered from members' connections; past it, the oldest goes. */
const MAX_OBSERVED = 1_024

export interface MemberAddressesInit {
  getRoster: () => RosterState
  memory: DirectoryMemory
  /** Multiaddrs the operator configured (the bootstrap list): members' by the operator's word. */
  configured: readonly string[]
  now?: () => number
}

/**
 * The IP addresses members are known at, so that the connection guard admits them ahead of
 * strangers before any handshake: the addresses in the members' directory records this node holds
 * (each verified against the current roster), the configured bootstrap addresses, and the
 * addresses members' authenticated connections came from or went to (a member behind NAT dials
 * from an address its record does not name). DNS names in records are not resolved: such a member
 * is known by its connections only.
 */
export class MemberAddresses {
  readonly #init: MemberAddressesInit
  readonly #now: () => number
  readonly #configured: Set<string>
  /** Address → country of the member whose connection used it, oldest first. */
  readonly #observed = new Map<string, string>()
  #fromRecords: { hosts: Set<string>; at: number; roster: RosterState } | undefined

  constructor(init: MemberAddressesInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
    this.#configured = new Set(init.configured.flatMap((a) => hostOfText(a) ?? []))
  }

  /** Notes the address of an authenticated connection with `country`'s node. */
  observe(country: string, remoteAddr: Multiaddr): void {
    const host = hostOf(remoteAddr)
    if (host === undefined) return
    this.#observed.delete(host) // re-inserted last: the map's order is the entries' age
    this.#observed.set(host, country)
    if (this.#observed.size > MAX_OBSERVED) this.#observed.delete(this.#observed.keys().next().value!)
  }

  /** Whether `host` (an IP address as `hostOf` gives it) is a member's known address. */
  has(host: string): boolean {
    if (this.#configured.has(host)) return true
    const country = this.#observed.get(host)
    const roster = this.#init.getRoster()
    if (country !== undefined && roster.members.has(country)) return true
    return this.#recordHosts(roster).has(host)
  }

  #recordHosts(roster: RosterState): Set<string> {
    const now = this.#now()
    const held = this.#fromRecords
    if (held !== undefined && held.roster === roster && now - held.at < RECORDS_READ_EVERY_MS)
      return held.hosts
    const hosts = new Set<string>()
    const { memory } = this.#init
    for (const country of memory.cachedCountries()) {
      const cached = memory.cached(country)
      if (cached === undefined || !roster.members.has(country)) continue
      try {
        for (const address of verifyRecord(cached.bytes, country, roster, now).record.addresses) {
          const host = hostOfText(address)
          if (host !== undefined) hosts.add(host)
        }
      } catch {
        // expired, or no longer valid under the current roster: its addresses are no member's
      }
    }
    this.#fromRecords = { hosts, at: now, roster }
    return hosts
  }
}

/**
 * The IP address of a multiaddr (`/ip4/…` or `/ip6/…`), IPv4-mapped IPv6 as IPv4, or undefined
 * for one without (a DNS name, a Unix socket).
 */
export function hostOf(address: Multiaddr): string | undefined {
  for (const c of address.getComponents()) {
    if (c.name === 'ip4' && c.value !== undefined) return c.value
    if (c.name === 'ip6' && c.value !== undefined)
      return mappedIpv4(c.value.toLowerCase()) ?? c.value.toLowerCase()
  }
  return undefined
}

/** The IPv4 address inside an IPv4-mapped IPv6 one, as a dual-stack listener sees IPv4 peers (either notation). */
function mappedIpv4(ip: string): string | undefined {
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(ip)
  if (mapped === null) return undefined
  if (mapped[1] !== undefined) return mapped[1]
  const high = Number.parseInt(mapped[2]!, 16)
  const low = Number.parseInt(mapped[3]!, 16)
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
}

function hostOfText(text: string): string | undefined {
  try {
    return hostOf(multiaddr(text))
  } catch {
    return undefined
  }
}
