import { access } from 'node:fs/promises'
import { join } from 'node:path'
import {
  bytesEqual,
  MlDsa44Signer,
  type NodeIdentity,
  PassphraseKeys,
  readKeyFile,
  sha256,
  toHex,
  writeMlDsaKeyFile,
} from '@pocnet/crypto'
import { exportMemberDescriptor } from '@pocnet/directory/offline'
import {
  DATA_DIR,
  obtainPassphrase,
  readConfig,
  readMlDsaWitnessKey,
  rotateNodeKey,
} from '@pocnet/node/client'
import type { Command } from 'commander'
import { Context } from '../context.ts'
import { CliError } from '../errors.ts'
import { examples, jsonOption } from '../help.ts'
import { out } from '../output.ts'
import { refuseWhileRunning } from './backup.ts'
import { MEMBER_FILE } from './init.ts'

export function registerKey(program: Command): void {
  const key = program.command('key').description("the node's own key (node stopped)")
  examples(key, 'pocnet key rotate', 'pocnet roster propose --rotate member.json --out rotate-fr.json')
  examples(
    key
      .command('rotate')
      .description(
        'generate a new node key, keep the old one under keys/retired/, and write member.json for `roster propose --rotate` (the ML-DSA-44 witness key stays)',
      )
      .addOption(jsonOption())
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        await refuseWhileRunning(ctx)
        const { country } = await readConfig(ctx.dataDir)
        const roster = await ctx.localRoster()
        const member = roster?.members.get(country)
        if (member === undefined)
          throw new CliError('ERR_NOT_A_MEMBER', `the roster in ${ctx.dataDir} does not list ${country}`, {
            hint: 'a node not yet in the roster needs no rotation: send its member.json to be admitted',
          })
        // one scrypt run per salt: the new node.key takes the witness key's, read first, so the
        // next start opens both with one run (passphrase-keys.ts)
        const passphrase = new PassphraseKeys(await obtainPassphrase())
        try {
          await rotate(ctx, country, member, passphrase, flags)
        } finally {
          await passphrase.dispose()
        }
      }),
    'POCNET_PASSPHRASE_FILE=/etc/pocnet/pass pocnet key rotate',
  )
  examples(
    key
      .command('witness')
      .description(
        "make the witness's ML-DSA-44 key (a node made before `init` made one), and write member.json for `roster propose --witness-key`",
      )
      .addOption(jsonOption())
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        await refuseWhileRunning(ctx)
        const keyFile = join(ctx.dataDir, DATA_DIR.mlDsaWitnessKey)
        if (
          await access(keyFile).then(
            () => true,
            () => false,
          )
        )
          throw new CliError('ERR_KEY_EXISTS', `${keyFile} already holds this node's ML-DSA-44 witness key`, {
            hint: 'publish it with the member.json in the data directory (`pocnet roster propose --witness-key`)',
          })
        const { country } = await readConfig(ctx.dataDir)
        const member = (await ctx.localRoster())?.members.get(country)
        if (member === undefined)
          throw new CliError('ERR_NOT_A_MEMBER', `the roster in ${ctx.dataDir} does not list ${country}`, {
            hint: 'a node not yet in the roster is admitted with its member.json, which `init` wrote with the key',
          })
        // the witness key takes node.key's salt: a start opens both with one scrypt run
        const passphrase = new PassphraseKeys(await obtainPassphrase())
        const signer = MlDsa44Signer.generate()
        let identity: NodeIdentity
        try {
          identity = await readKeyFile(ctx.path('key'), passphrase)
          await writeMlDsaKeyFile(keyFile, signer, passphrase)
        } finally {
          await passphrase.dispose()
        }
        const memberFile = join(ctx.dataDir, MEMBER_FILE)
        await exportMemberDescriptor(memberFile, {
          identity,
          country,
          name: member.name,
          mlDsaWitnessKey: signer.publicKey,
        })
        const fingerprint = toHex(sha256(signer.publicKey))
        if (flags.json) return out.json({ country, keyFile, mlDsaWitnessKeySha256: fingerprint, memberFile })
        out.line(`${out.style('green', '✓')} ML-DSA-44 witness key for ${country} in ${keyFile}`)
        out.line(`  key SHA-256    ${fingerprint}`)
        out.line(`  member file    ${memberFile}`)
        out.line()
        out.line(
          `Next: the members propose \`pocnet roster propose --witness-key ${MEMBER_FILE}\`, sign, combine and push it;`,
        )
        out.line(
          'from the next start this node cosigns with ML-DSA-44 too, and members keep those lines once the roster has the key.',
        )
      }),
    'POCNET_PASSPHRASE_FILE=/etc/pocnet/pass pocnet key witness',
  )
}

/** `pocnet key rotate` once the node is known to be a member: the rotation and its report. */
async function rotate(
  ctx: Context,
  country: string,
  member: { publicKey: Uint8Array; name: string },
  passphrase: PassphraseKeys,
  flags: { json?: boolean },
): Promise<void> {
  // the ML-DSA-44 witness key is a key of its own, not rotated here: member.json carries it
  // over, so the descriptor still says everything the roster publishes for this node.
  // Read first, before anything is written: a key file that does not open stops the rotation.
  const witnessKey = (await readMlDsaWitnessKey(ctx.dataDir, passphrase))?.publicKey
  const current = await readKeyFile(ctx.path('key'), passphrase)
  // one rotation at a time: the key retired next must be the one the roster gives now
  if (!bytesEqual(current.signingPublicKey, member.publicKey))
    throw new CliError(
      'ERR_ROTATION_PENDING',
      `node.key (${toHex(current.signingPublicKey)}) is not ${country}'s roster key: a rotation is already under way`,
      {
        hint: `finish it with the member.json \`pocnet key rotate\` wrote (\`pocnet roster propose --rotate ${join(ctx.dataDir, MEMBER_FILE)}\`), then put the new roster.cbor here`,
      },
    )
  const rotated = await rotateNodeKey({ dataDir: ctx.dataDir, passphrase })
  const memberFile = join(ctx.dataDir, MEMBER_FILE)
  await exportMemberDescriptor(memberFile, {
    identity: rotated.current,
    country,
    name: member.name,
    ...(witnessKey !== undefined && { mlDsaWitnessKey: witnessKey }),
  })
  const witnessFingerprint = witnessKey === undefined ? undefined : toHex(sha256(witnessKey))
  if (flags.json) {
    out.json({
      country,
      retiredKey: toHex(rotated.retired.signingPublicKey),
      retiredPeerId: rotated.retired.peerId.toString(),
      retiredFile: rotated.retiredFile,
      publicKey: toHex(rotated.current.signingPublicKey),
      peerId: rotated.current.peerId.toString(),
      ...(witnessFingerprint !== undefined && { mlDsaWitnessKeySha256: witnessFingerprint }),
      memberFile,
    })
    return
  }
  out.line(`${out.style('green', '✓')} new key for ${country} in ${ctx.path('key')}`)
  out.line(`  new peer id    ${rotated.current.peerId.toString()}`)
  out.line(`  old peer id    ${rotated.retired.peerId.toString()}`)
  out.line(`  old key kept   ${rotated.retiredFile}`)
  if (witnessFingerprint !== undefined) out.line(`  ML-DSA-44 key  unchanged, SHA-256 ${witnessFingerprint}`)
  out.line(`  member file    ${memberFile}`)
  out.line()
  out.line(
    `Next: the members propose \`pocnet roster propose --rotate ${MEMBER_FILE}\`, sign, combine and push it;`,
  )
  out.line('then put the new roster.cbor here and `pocnet start` (docs/operations.md, Key rotation).')
}
