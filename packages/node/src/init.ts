import { chmod, mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  MlDsa44Signer,
  NodeIdentity,
  PassphraseKeys,
  type ScryptParameters,
  toHex,
  writeFileAtomic,
  writeKeyFile,
  writeMlDsaKeyFile,
} from '@pocnet/crypto'
import type { RosterMember } from '@pocnet/directory'
import { defaultConfig, type NodeConfig, validateConfig, writeConfig } from './config.ts'
import { DATA_DIR } from './constants.ts'
import { UserStore } from './control/users.ts'
import type { ContactFile } from './daemon.ts'
import { NodeError } from './errors.ts'

export interface InitOptions {
  dataDir: string
  network: string
  country: string
  /** Display name for the roster, e.g. "France — OCLCTIC 24/7". */
  name: string
  passphrase: string
  contact: ContactFile
  listen?: string[]
  bootstrap?: string[]
  /** Name of the first operator user; defaults to "operator". */
  operator?: string
  scrypt?: ScryptParameters
}

export interface InitResult {
  dataDir: string
  peerId: string
  signingPublicKeyHex: string
  boxPublicKeyHex: string
  /** What the roster needs: hand it to the founders or the members who admit this country. */
  memberDescriptor: RosterMember
  operatorToken: string
  identity: NodeIdentity
  config: NodeConfig
}

/**
 * Creates a node's data directory (0700): encrypted key files (node key, ML-DSA-44 witness key), config, contact details and
 * a first operator. Refuses a directory that already holds a node. The roster comes later,
 * from the federation's ceremony (`pocnet roster ...`).
 */
export async function initNode(opts: InitOptions): Promise<InitResult> {
  const config: NodeConfig = {
    ...defaultConfig(opts.network, opts.country),
    ...(opts.listen === undefined ? {} : { listen: opts.listen }),
    ...(opts.bootstrap === undefined ? {} : { bootstrap: opts.bootstrap }),
  }
  const checked = validateConfig(config)
  if ('problems' in checked) {
    throw new NodeError('ERR_INIT', checked.problems.map((p) => `${p.path}: ${p.message}`).join('; '))
  }
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 })
  if ((await stat(opts.dataDir)).mode & 0o077) {
    // an existing directory others can read would expose the socket and the databases
    await chmod(opts.dataDir, 0o700)
  }
  const existing = await readdir(opts.dataDir)
  if (existing.includes(DATA_DIR.key) || existing.includes(DATA_DIR.config)) {
    throw new NodeError(
      'ERR_INIT_EXISTS',
      `${opts.dataDir} already holds a pocnet node; choose another --data-dir`,
    )
  }
  const identity = NodeIdentity.generate()
  // one salt for both key files: a start opens them with one scrypt run (passphrase-keys.ts)
  const keys = new PassphraseKeys(opts.passphrase)
  // the witness cosigns with ML-DSA-44 too once the roster publishes this key (the member descriptor has it)
  const mlDsaWitness = MlDsa44Signer.generate()
  try {
    await writeKeyFile(join(opts.dataDir, DATA_DIR.key), identity, keys, opts.scrypt)
    await writeMlDsaKeyFile(join(opts.dataDir, DATA_DIR.mlDsaWitnessKey), mlDsaWitness, keys, opts.scrypt)
  } finally {
    await keys.dispose()
  }
  await writeConfig(opts.dataDir, config)
  await writeFileAtomic(
    join(opts.dataDir, DATA_DIR.contact),
    Buffer.from(`${JSON.stringify(opts.contact, null, 2)}\n`),
    0o600,
  )
  const users = await UserStore.open(opts.dataDir)
  const operatorToken = await users.add(opts.operator ?? 'operator', 'operator')
  return {
    dataDir: opts.dataDir,
    peerId: identity.peerId.toString(),
    signingPublicKeyHex: toHex(identity.signingPublicKey),
    boxPublicKeyHex: toHex(identity.boxPublicKey),
    memberDescriptor: {
      country: opts.country,
      name: opts.name,
      publicKey: identity.signingPublicKey,
      mlDsaWitnessKey: mlDsaWitness.publicKey,
    },
    operatorToken,
    identity,
    config,
  }
}
