import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { combineSignatures, proposeGenesis, signProposal } from '@pocnet/directory'
import { verifyReceipt } from '@pocnet/protocol'
import {
  createLogger,
  type DaemonOptions,
  DELIVERY_PROTOCOL,
  type InitResult,
  initNode,
  type NodeConfig,
  PocnetDaemon,
  readConfig,
  writeConfig,
} from '../src/index.ts'

export const PASSPHRASE = 'correct horse battery staple'
export const TEST_NETWORK = 'pocnet-test'

/** A delivery stream from `from` to `to`, driven by hand: each frame written, its receipt read. */
export async function deliveryStream(from: PocnetDaemon, to: PocnetDaemon) {
  const stream = await from.host.dialProtocol(to.identity.peerId, DELIVERY_PROTOCOL)
  const lp = lpStream(stream)
  const send = async (frame: Uint8Array): Promise<Uint8Array> => {
    await lp.write(frame)
    return (await lp.read()).subarray()
  }
  return {
    /** Writes a frame and returns the receipt's bytes as they came. */
    send,
    /** Writes a frame and returns its receipt as checked against `to`'s key (and the envelope, when given). */
    exchange: async (frame: Uint8Array, envelopeHash?: Uint8Array) =>
      verifyReceipt(await send(frame), {
        receiverPublicKey: to.identity.signingPublicKey,
        networkId: TEST_NETWORK,
        ...(envelopeHash !== undefined && { envelopeHash }),
      }),
    close: () => stream.close(),
  }
}

export function contactFor(country: string) {
  return {
    contactKind: 'investigative' as const,
    unit: `${country} 24/7 desk`,
    phone: '+33123456789',
    email: `desk@${country.toLowerCase()}.example`,
    languages: ['en'],
    timeZone: 'Europe/Paris',
    services: ['preservation' as const, 'traffic-data-disclosure' as const],
    mlaAuthority: null,
    reservations: [],
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port')),
      )
    })
  })
}

export interface TestFederation {
  base: string
  nodes: InitResult[]
  start(index: number, caseClock?: () => number): Promise<PocnetDaemon>
  cleanup(): Promise<void>
}

/**
 * Starts node `index` of `fed` for a test that checks what it logs: its warnings and errors go,
 * parsed, into `logs`. The caller stops it (the fixture's own `start` logs errors only).
 */
export function startCollectingWarnings<L>(
  fed: TestFederation,
  index: number,
  logs: L[],
  extra: Omit<Partial<DaemonOptions>, 'dataDir' | 'passphrase' | 'log'> = {},
): Promise<PocnetDaemon> {
  const node = fed.nodes[index]!
  return PocnetDaemon.start({
    dataDir: node.dataDir,
    passphrase: PASSPHRASE,
    ...extra,
    log: createLogger({
      level: 'warn',
      component: node.config.country,
      write: (line) => logs.push(JSON.parse(line) as L),
    }),
  })
}

/** Data directories for `countries`, a genesis signed by all, each node bootstrapping to the others. */
export async function createTestFederation(
  countries: string[],
  configure?: (config: NodeConfig, index: number) => void,
): Promise<TestFederation> {
  const base = await mkdtemp(join(tmpdir(), 'pocnet-node-'))
  const ports = await Promise.all(countries.map(() => freePort()))
  const nodes: InitResult[] = []
  for (const [i, country] of countries.entries()) {
    nodes.push(
      await initNode({
        dataDir: join(base, country),
        network: TEST_NETWORK,
        country,
        name: `${country} test desk`,
        passphrase: PASSPHRASE,
        contact: contactFor(country),
        listen: [`/ip4/127.0.0.1/tcp/${ports[i]}`],
        scrypt: { log2N: 10, r: 8, p: 1 },
      }),
    )
  }
  const proposal = join(base, 'genesis.proposal.json')
  await proposeGenesis(proposal, {
    network: TEST_NETWORK,
    threshold: Math.min(2, countries.length),
    members: nodes.map((n) => n.memberDescriptor),
  })
  const signatures: string[] = []
  for (const n of nodes) {
    const path = join(base, `${n.memberDescriptor.country}.sig.json`)
    await signProposal(proposal, n.identity, path)
    signatures.push(path)
  }
  for (const [i, n] of nodes.entries()) {
    await combineSignatures({
      proposalPath: proposal,
      signaturePaths: signatures,
      chainPath: join(n.dataDir, 'roster.cbor'),
    })
    const config = await readConfig(n.dataDir)
    config.bootstrap = nodes.flatMap((o, j) =>
      j === i ? [] : [`/ip4/127.0.0.1/tcp/${ports[j]}/p2p/${o.peerId}`],
    )
    config.outbox = { initialBackoffMs: 100, maxBackoffMs: 1000, expiryMs: 3600_000 }
    configure?.(config, i)
    await writeConfig(n.dataDir, config)
  }
  const running: PocnetDaemon[] = []
  return {
    base,
    nodes,
    async start(index, caseClock) {
      const d = await PocnetDaemon.start({
        dataDir: nodes[index]!.dataDir,
        passphrase: PASSPHRASE,
        ...(caseClock ? { caseClock } : {}),
        log: createLogger({ level: 'error', component: countries[index] }),
      })
      running.push(d)
      return d
    },
    async cleanup() {
      await Promise.all(running.map((d) => d.stop()))
      await rm(base, { recursive: true, force: true })
    },
  }
}

export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A complete Art. 29 preservation request, as a contact point would write it. */
export function preservationRequest(): Record<string, unknown> {
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

/** Two started nodes of a fresh federation, connected, each with its directory record published. */
export async function startPublishedPair(
  countries: [string, string],
  configure?: (config: NodeConfig, index: number) => void,
): Promise<{ fed: TestFederation; a: PocnetDaemon; b: PocnetDaemon }> {
  const fed = await createTestFederation(countries, configure)
  const a = await fed.start(0)
  const b = await fed.start(1)
  await until(() => a.health().peersConnected > 0, `${countries[0]} to connect to ${countries[1]}`)
  await a.publishOwnRecord()
  await b.publishOwnRecord()
  return { fed, a, b }
}
