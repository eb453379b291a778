import { stat } from 'node:fs/promises'
import { statusRoutes } from '@pocnet/node/control-client'
import type { Command } from 'commander'
import { Context, daemonAnswers } from '../context.ts'
import { CliError } from '../errors.ts'
import { examples } from '../help.ts'
import { out } from '../output.ts'

/** The bootstrap address `target` names: a multiaddr with /p2p/, or a member.json with `address`. */
async function addressOf(target: string, address: string | undefined): Promise<string> {
  // loaded here, not at the top: this module is registered with `status`, `peers` and `user`,
  // which must start without libp2p and @pocnet/crypto (packages/cli/test/light-start.test.ts)
  const { BootstrapAddressError, checkedBootstrapAddress, memberBootstrapAddress } = await import(
    '@pocnet/node/client'
  )
  const { readMemberDescriptor } = await import('@pocnet/directory')
  try {
    // a path to a member file may start with "/" too: a file is a member file
    const isFile = await stat(target).then(
      (s) => s.isFile(),
      () => false,
    )
    if (!isFile) {
      if (address !== undefined)
        throw new BootstrapAddressError(
          '--address goes with a member.json, not a multiaddr',
          `pocnet peers add ${target}`,
        )
      return checkedBootstrapAddress(target)
    }
    if (address === undefined)
      throw new BootstrapAddressError(
        `${target}: a member file names the key, not where the node listens`,
        `add --address host:port (the port \`pocnet status\` shows as "listening" on that node), e.g. pocnet peers add ${target} --address 192.0.2.7:4001`,
      )
    return memberBootstrapAddress(await readMemberDescriptor(target), address)
  } catch (e) {
    if (e instanceof BootstrapAddressError) throw new CliError(e.code, e.message, { hint: e.hint })
    throw e
  }
}

/**
 * `pocnet peers add <member.json | multiaddr>`: checks the address names a roster member, stores
 * it in config.json's bootstrap list (dialled at every start), and dials it now if the daemon runs.
 */
export function registerPeersAdd(peers: Command): void {
  examples(
    peers
      .command('add <target>')
      .description(
        'add a member to dial at start: its member.json with --address host:port, or a multiaddr ending in /p2p/<peer id>; dialled now if the node runs (operator)',
      )
      .option('--address <host:port>', "with a member.json: where that member's node listens")
      .option('--json', 'print the result as JSON')
      .action(async (target: string, flags: { address?: string; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const address = await addressOf(target, flags.address)
        const { peerIdFromEd25519PublicKey } = await import('@pocnet/crypto')
        const { peerIdOfBootstrapAddress, readConfig, writeConfig } = await import('@pocnet/node/client')
        const roster = await ctx.localRoster()
        const peerId = peerIdOfBootstrapAddress(address)
        const member =
          roster === undefined
            ? undefined
            : [...roster.members.values()].find(
                (m) => peerIdFromEd25519PublicKey(m.publicKey).toString() === peerId,
              )
        if (roster !== undefined && member === undefined)
          throw new CliError(
            'ERR_NOT_A_MEMBER',
            `${address}: its peer id is no member of the roster (${ctx.path('roster')})`,
            {
              hint: 'only roster members may connect: check the member file or the peer id (`pocnet roster show`)',
            },
          )
        const config = await readConfig(ctx.dataDir)
        const stored = config.bootstrap.includes(address)
        if (!stored) await writeConfig(ctx.dataDir, { ...config, bootstrap: [...config.bootstrap, address] })
        const running = await daemonAnswers(ctx.socketPath)
        const dialled = running ? await ctx.call(statusRoutes.dial, { body: { address } }) : undefined
        if (flags.json)
          return out.json({
            address,
            country: member?.country ?? null,
            stored: true,
            dialled: dialled ?? null,
          })
        out.line(
          `${out.style('green', '✓')} ${stored ? 'already in' : 'added to'} the bootstrap list: ${address}${member === undefined ? '' : ` (${member.country})`}`,
        )
        out.line(
          dialled === undefined
            ? '  the node is not running: it dials this address at its next start'
            : `  connected now to ${dialled.country ?? dialled.peerId}`,
        )
      }),
    'pocnet peers add fr-member.json --address 192.0.2.7:4001',
    'pocnet peers add /dns/pocnet.fr.example/tcp/4001/p2p/12D3KooW…',
  )
}
