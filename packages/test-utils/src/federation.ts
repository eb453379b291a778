import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeIdentity } from '@pocnet/crypto'
import {
  encodeRosterBody,
  encodeRosterDocument,
  type RosterMember,
  signRosterBody,
  verifyRosterChain,
  writeRosterChainFile,
} from '@pocnet/directory'
import { ControlClient, DATA_DIR, initNode, type NodeConfig, readConfig, writeConfig } from '@pocnet/node'
import { testContact } from './contact.ts'
import { HarnessError } from './errors.ts'
import { freePorts } from './ports.ts'
import { type DaemonProcess, killNode } from './process.ts'

/** Fast key-file encryption for tests; real nodes use the crypto package's default. */
export const TEST_SCRYPT = { log2N: 10, r: 8, p: 1 } as const

export const DEFAULT_TEST_NETWORK = 'pocnet-test'

/** Set to keep the federation's files after the tests (for reading the daemons' logs). */
export const KEEP_ENV = 'POCNET_E2E_KEEP'

export interface FederationOptions {
  /** ISO 3166-1 alpha-2 codes, one node each; all of them found the roster. */
  countries: string[]
  /** Where the nodes' files go; a fresh temporary directory by default (removed by `cleanup`). */
  baseDir?: string
  network?: string
  /** Every node's key-file passphrase; a fresh random one per node by default. */
  passphrase?: string
  /** Roster threshold; defaults to min(2, number of countries). */
  threshold?: number
  /** Edits each node's config before its first start (e.g. a short outbox backoff for tests). */
  configure?: (config: NodeConfig, country: string) => NodeConfig
}

/** One node of a test federation: its files, its keys, its control client and, when running, its process. */
export interface FederationNode {
  readonly country: string
  readonly network: string
  readonly dataDir: string
  readonly passphrase: string
  /** The passphrase in a 0600 file, handed to the daemon as POCNET_PASSPHRASE_FILE. */
  readonly passphraseFile: string
  readonly port: number
  readonly peerId: string
  /** `/ip4/127.0.0.1/tcp/<port>/p2p/<peerId>`: where the other nodes dial it. */
  readonly multiaddr: string
  readonly identity: NodeIdentity
  readonly member: RosterMember
  readonly operatorToken: string
  readonly socketPath: string
  /** The daemon's stderr (JSON logs) across every start, with a harness line before each start. */
  readonly logFile: string
  /** Control API client with the operator's token. */
  readonly client: ControlClient
  /** The running daemon, set by `spawnNode`, cleared when it exits. */
  process: DaemonProcess | undefined
}

export interface Federation {
  readonly network: string
  readonly baseDir: string
  readonly threshold: number
  /** The signed roster chain every node holds (the genesis alone). */
  readonly roster: Uint8Array[]
  readonly nodes: FederationNode[]
  node(country: string): FederationNode
  /** SIGKILLs every daemon still running, then removes the files (kept when POCNET_E2E_KEEP is set). */
  cleanup(): Promise<void>
}

/**
 * Creates a federation of nodes on disk, ready to start: each node's data directory (via
 * `initNode`), on a fixed loopback port, with every other node in its bootstrap list, and
 * the genesis roster signed by all founders in each `roster.cbor`.
 */
export async function createFederation(options: FederationOptions): Promise<Federation> {
  const { countries } = options
  if (countries.length === 0)
    throw new HarnessError('ERR_FEDERATION', 'a federation needs at least one country')
  if (new Set(countries).size !== countries.length) {
    throw new HarnessError('ERR_FEDERATION', `duplicate countries in ${countries.join(', ')}`)
  }
  const network = options.network ?? DEFAULT_TEST_NETWORK
  const threshold = options.threshold ?? Math.min(2, countries.length)
  const ownsBaseDir = options.baseDir === undefined
  // Unix socket paths are limited to ~107 bytes: keep the base short.
  const baseDir = options.baseDir ?? (await mkdtemp(join(tmpdir(), 'pocnet-e2e-')))
  await mkdir(baseDir, { recursive: true, mode: 0o700 })
  const nodes: FederationNode[] = []
  const federation: Federation = {
    network,
    baseDir,
    threshold,
    roster: [],
    nodes,
    node(country) {
      const found = nodes.find((n) => n.country === country)
      if (found === undefined)
        throw new HarnessError('ERR_FEDERATION', `no node ${country} in this federation`)
      return found
    },
    async cleanup() {
      await Promise.all(nodes.map((n) => killNode(n).catch(() => {})))
      if (process.env[KEEP_ENV]) {
        process.stderr.write(`${KEEP_ENV}: keeping federation files in ${baseDir}\n`)
        return
      }
      if (ownsBaseDir) await rm(baseDir, { recursive: true, force: true })
      else {
        for (const n of nodes) {
          await rm(n.dataDir, { recursive: true, force: true })
          await rm(n.passphraseFile, { force: true })
          await rm(n.logFile, { force: true })
        }
      }
    },
  }
  try {
    const ports = await freePorts(countries.length)
    for (const [i, country] of countries.entries()) {
      const port = ports[i]!
      const dataDir = join(baseDir, country)
      const passphrase = options.passphrase ?? randomBytes(16).toString('hex')
      const passphraseFile = join(baseDir, `${country}.pass`)
      await writeFile(passphraseFile, `${passphrase}\n`, { mode: 0o600 })
      const init = await initNode({
        dataDir,
        network,
        country,
        name: `${country} test node`,
        passphrase,
        contact: testContact(country),
        listen: [`/ip4/127.0.0.1/tcp/${port}`],
        scrypt: { ...TEST_SCRYPT },
      })
      const socketPath = join(dataDir, DATA_DIR.socket)
      nodes.push({
        country,
        network,
        dataDir,
        passphrase,
        passphraseFile,
        port,
        peerId: init.peerId,
        multiaddr: `/ip4/127.0.0.1/tcp/${port}/p2p/${init.peerId}`,
        identity: init.identity,
        member: init.memberDescriptor,
        operatorToken: init.operatorToken,
        socketPath,
        logFile: join(baseDir, `${country}.log`),
        client: new ControlClient(socketPath, init.operatorToken),
        process: undefined,
      })
    }
    const genesis = signedGenesis(
      network,
      threshold,
      nodes.map((n) => n.member),
      nodes.map((n) => n.identity),
    )
    verifyRosterChain([genesis])
    ;(federation as { roster: Uint8Array[] }).roster = [genesis]
    for (const node of nodes) {
      await writeRosterChainFile(join(node.dataDir, DATA_DIR.roster), [genesis])
      const config = await readConfig(node.dataDir)
      const wired: NodeConfig = {
        ...config,
        bootstrap: nodes.filter((n) => n !== node).map((n) => n.multiaddr),
      }
      await writeConfig(node.dataDir, options.configure ? options.configure(wired, node.country) : wired)
    }
    return federation
  } catch (err) {
    await federation.cleanup().catch(() => {})
    throw err
  }
}

/** A genesis roster document for `members`, signed by every identity in `signers`. */
export function signedGenesis(
  network: string,
  threshold: number,
  members: RosterMember[],
  signers: NodeIdentity[],
): Uint8Array {
  const bodyBytes = encodeRosterBody({
    kind: 'genesis',
    network,
    version: 0,
    createdAt: Date.now(),
    threshold,
    members,
  })
  return encodeRosterDocument(
    bodyBytes,
    signers.map((s) => signRosterBody(s, bodyBytes)),
  )
}
