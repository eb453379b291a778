import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { combineSignatures, proposeGenesis, signProposal } from '@pocnet/directory'
import {
  createLogger,
  type InitResult,
  initNode,
  PocnetDaemon,
  readConfig,
  writeConfig,
} from '../src/index.ts'

export const PASSPHRASE = 'correct horse battery staple'
export const TEST_NETWORK = 'pocnet-test'

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
  start(index: number): Promise<PocnetDaemon>
  cleanup(): Promise<void>
}

/** Data directories for `countries`, a genesis signed by all, each node bootstrapping to the others. */
export async function createTestFederation(countries: string[]): Promise<TestFederation> {
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
    await writeConfig(n.dataDir, config)
  }
  const running: PocnetDaemon[] = []
  return {
    base,
    nodes,
    async start(index) {
      const d = await PocnetDaemon.start({
        dataDir: nodes[index]!.dataDir,
        passphrase: PASSPHRASE,
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
