import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  bytesEqual,
  type MlDsa44Signer,
  type NodeIdentity,
  PassphraseKeys,
  readKeyFile,
  readKeyFileAddingKem,
  toHex,
} from '@pocnet/crypto'
import {
  DirectoryMemory,
  FileDirectoryStore,
  RosterKeeper,
  readRosterChainFile,
  rotationVersion,
  verifyRosterChain,
} from '@pocnet/directory'
import { checkpointOrigin, Ledger } from '@pocnet/ledger'
import { type NodeConfig, readConfig } from '../config.ts'
import { DATA_DIR } from '../constants.ts'
import { DataDirLockedError, DataFileError, NodeError } from '../errors.ts'
import type { Logger } from '../log.ts'
import { readMlDsaWitnessKey, shareNodeKeySalt } from '../ml-dsa-witness-key.ts'
import { readRetiredKey, retiredKeyFile } from '../retired-keys.ts'

/** What the data directory holds, opened and checked against each other. */
export interface OpenedDataDir {
  config: NodeConfig
  identity: NodeIdentity
  /** The witness's ML-DSA-44 key (witness-mldsa.key), when the data directory has one. */
  mlDsaSigner?: MlDsa44Signer
  keeper: RosterKeeper
  memory: DirectoryMemory
  ledger: Ledger
}

/**
 * The first phase of a start: reads the config, decrypts the key, reads the roster chain (the
 * key must be the country's roster key) and the directory memory, then opens the ledger,
 * recording a key rotation the roster authorises.
 */
export async function openDataDir(dataDir: string, passphrase: string, log: Logger): Promise<OpenedDataDir> {
  // key files sealed together share a salt: one scrypt run opens them all (passphrase-keys.ts)
  const keys = new PassphraseKeys(passphrase)
  try {
    return await openDataDirWith(dataDir, keys, log)
  } finally {
    await keys.dispose()
  }
}

async function openDataDirWith(
  dataDir: string,
  passphrase: PassphraseKeys,
  log: Logger,
): Promise<OpenedDataDir> {
  const config = await readConfig(dataDir)
  const keyFile = join(dataDir, DATA_DIR.key)
  const readIdentity = async (): Promise<NodeIdentity> => {
    if (config.hybridSealing === false) return readKeyFile(keyFile, passphrase)
    // a key made before hybrid sealing gains its X-Wing key here, once (docs/operations.md §10)
    const read = await readKeyFileAddingKem(keyFile, passphrase)
    if (read.upgraded) log.info('node.key-kem-added', { file: keyFile })
    return read.identity
  }
  // files with a salt of their own pay a scrypt run each (~1 s, on libuv's thread pool): side by side
  const [identity, mlDsaSigner] = await Promise.all([
    readIdentity(),
    readMlDsaWitnessKey(dataDir, passphrase),
  ])
  if (mlDsaSigner !== undefined && (await shareNodeKeySalt(dataDir, passphrase, mlDsaSigner)))
    log.info('node.key-files-salt-shared', { file: join(dataDir, DATA_DIR.mlDsaWitnessKey) })
  const rosterFile = join(dataDir, DATA_DIR.roster)
  const chain = await readDataFile(
    rosterFile,
    'ERR_ROSTER_FILE',
    'the roster chain',
    'copy the current roster.cbor from another member (check it with `pocnet roster verify <file>`) or restore it from a backup',
    () => readRosterChainFile(rosterFile),
  )
  const keeper = new RosterKeeper({ chain })
  const getRoster = () => keeper.state
  const self = getRoster().members.get(config.country)
  if (self === undefined || toHex(self.publicKey) !== toHex(identity.signingPublicKey)) {
    // `pocnet key rotate` ran, and the roster still gives the country the key it retired
    const rotationPending =
      self !== undefined &&
      (await readFile(retiredKeyFile(dataDir, self.publicKey)).then(
        () => true,
        () => false,
      ))
    throw new NodeError(
      'ERR_NOT_IN_ROSTER',
      rotationPending
        ? `this node's key ${toHex(identity.signingPublicKey)} is not yet ${config.country}'s roster key (the roster still gives the key \`pocnet key rotate\` retired): finish the rotation (\`pocnet roster propose --rotate member.json\`, signed and combined) and put the new roster.cbor in the data directory`
        : `this node's key is not the roster key of ${config.country}: check config.json "country" and roster.cbor`,
    )
  }
  if (getRoster().network !== config.network) {
    throw new NodeError(
      'ERR_NETWORK_MISMATCH',
      `roster is for network ${getRoster().network}, config says ${config.network}`,
    )
  }
  const memoryFile = join(dataDir, DATA_DIR.directoryMemory)
  const memory = await readDataFile(
    memoryFile,
    'ERR_DIRECTORY_FILE',
    "the node's memory of directory records",
    'move it aside and start again (the node relearns the records from its peers; the highest record seq seen per country, which refuses replayed old records, starts again from them) or restore it from a backup',
    () => DirectoryMemory.open(new FileDirectoryStore(memoryFile)),
  )
  await mkdir(join(dataDir, DATA_DIR.ledger), { recursive: true, mode: 0o700 })
  let ledger: Ledger
  try {
    let upgradeLogged = -1
    ledger = await Ledger.open({
      dir: join(dataDir, DATA_DIR.ledger),
      identity,
      origin: checkpointOrigin(config.network, config.country),
      checkpointEvery: { entries: config.checkpoint.everyEntries, ms: config.checkpoint.everyMs },
      onCheckpointError: (err) => log.error('ledger.checkpoint-failed', { error: err.message }),
      // a key the roster rotated in takes the ledger over, with its history (docs/operations.md)
      keyRotation: async (oldKey, newKey) => {
        const version = rotationVersion(verifyRosterChain(chain), config.country, oldKey, newKey)
        if (version === undefined) return undefined
        // kept by `pocnet key rotate`: it signs the handover and its message bodies stay readable
        const previous = await readRetiredKey(dataDir, oldKey, passphrase)
        log.info('ledger.key-rotated', {
          from: toHex(oldKey),
          to: toHex(newKey),
          rosterVersion: version,
          oldKeyAtHand: previous !== undefined,
        })
        return { rosterVersion: version, ...(previous !== undefined && { previous }) }
      },
      // a ledger from before format 2 is rewritten into tiles once, before the node serves: say so
      onUpgrade: ({ tiled, total }) => {
        if (upgradeLogged >= 0 && tiled < total && tiled - upgradeLogged < 100_000) return
        upgradeLogged = tiled
        log.info('ledger.upgrading', { format: 2, entriesInTiles: tiled, entriesToTile: total })
      },
    })
  } catch (err) {
    if (/lock/i.test(String((err as Error).cause ?? err))) throw new DataDirLockedError(dataDir)
    if (err instanceof NodeError) throw err
    const { message, cause, code } = err as Error & { code?: unknown }
    // LevelDB's own errors: a damaged database (the ledger's refusals say what is wrong themselves)
    const damaged = typeof code === 'string' && code.startsWith('LEVEL_')
    throw new NodeError(
      'ERR_LEDGER_OPEN',
      `${join(dataDir, DATA_DIR.ledger)}: the ledger cannot be opened (${message}${cause instanceof Error ? `: ${cause.message}` : ''})${damaged ? ': `pocnet ledger verify` tells what is damaged; restore the data directory from a backup (`pocnet restore --force` keeps this one aside)' : ''}`,
    )
  }
  if (ledger.keysWithSealedBlobs > 0)
    log.warn('ledger.old-blobs-sealed', {
      keys: ledger.keysWithSealedBlobs,
      hint: 'a key rotation was made without the old key: the message bodies sealed under it cannot be opened (their entries are kept and verify)',
    })
  const published = getRoster().members.get(config.country)?.mlDsaWitnessKey
  if (mlDsaSigner !== undefined && published !== undefined && !bytesEqual(published, mlDsaSigner.publicKey))
    log.warn('witness.ml-dsa-key-not-in-roster', {
      hint: `the roster gives ${config.country} another ML-DSA-44 witness key: members refuse this node's ML-DSA-44 cosignatures until \`pocnet roster propose --witness-key member.json\` publishes this one`,
    })
  return { config, identity, ...(mlDsaSigner !== undefined && { mlDsaSigner }), keeper, memory, ledger }
}

/**
 * Reads one of the node's files; any failure but the node's own errors (a damaged or
 * hand-edited file) stops the start naming the file, what it holds and what to do.
 */
async function readDataFile<T>(
  path: string,
  code: string,
  what: string,
  remedy: string,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read()
  } catch (err) {
    if (err instanceof NodeError) throw err
    throw new DataFileError(code, path, what, (err as Error).message, remedy)
  }
}
