import { access } from 'node:fs/promises'
import { checkCountry } from '@pocnet/cases'
import { bytesEqual, peerIdFromEd25519PublicKey, readKeyFile, sha256, toHex } from '@pocnet/crypto'
import {
  combineSignatures,
  encodeRosterChain,
  proposeAmendment,
  proposeGenesis,
  type RosterBody,
  type RosterChange,
  type RosterMember,
  type RosterProposal,
  type RosterState,
  readMemberDescriptor,
  readProposal,
  readRosterChainFile,
  signProposal,
  verifyRosterChain,
} from '@pocnet/directory/offline'
import { directoryRoutes, obtainPassphrase, readConfig } from '@pocnet/node/client'
import type { Command } from 'commander'
import { Context } from '../context.ts'
import { CliError, UsageError } from '../errors.ts'
import { collect, examples, jsonOption, positiveInt } from '../help.ts'
import { err, formatTime, out, table } from '../output.ts'

function peerIdOf(key: Uint8Array): string {
  return peerIdFromEd25519PublicKey(key).toString()
}

function describeChange(c: RosterChange): string {
  switch (c.op) {
    case 'admit':
      return `admit ${c.member.country} "${c.member.name}" key ${toHex(c.member.publicKey)}`
    case 'revoke':
      return `revoke ${c.country}`
    case 'rotate':
      return `rotate ${c.country} to key ${toHex(c.publicKey)}`
    case 'threshold':
      return `set threshold to ${c.threshold}`
    case 'witness-key':
      return `set ${c.country}'s ML-DSA-44 witness key to ${toHex(sha256(c.mlDsaWitnessKey))} (SHA-256 of the key)`
  }
}

/** What a signer reads before signing: every byte that the signature will cover, decoded. */
export function describeBody(body: RosterBody, zone: string): string[] {
  const head = [
    `${body.kind} proposal, network ${body.network}, version ${body.version}, created ${formatTime(body.createdAt, zone)}`,
  ]
  if (body.kind === 'genesis') {
    return [
      ...head,
      `threshold: ${body.threshold} of ${body.members.length}`,
      ...body.members.map((m) => `  ${m.country}  ${m.name}  ${peerIdOf(m.publicKey)}`),
    ]
  }
  return [
    ...head,
    `previous version hash: ${toHex(body.prev)}`,
    ...body.changes.map((c) => `  ${describeChange(c)}`),
  ]
}

function stateJson(state: RosterState) {
  return {
    network: state.network,
    version: state.version,
    hash: toHex(state.hash),
    genesisHash: toHex(state.genesisHash),
    threshold: state.threshold,
    createdAt: state.createdAt,
    members: [...state.members.values()].map((m) => ({
      country: m.country,
      name: m.name,
      publicKey: toHex(m.publicKey),
      peerId: peerIdOf(m.publicKey),
      ...(m.mlDsaWitnessKey !== undefined && { mlDsaWitnessKeySha256: toHex(sha256(m.mlDsaWitnessKey)) }),
    })),
    retired: [...state.retired.entries()].map(([key, r]) => ({ key, ...r })),
  }
}

function printState(state: RosterState, zone: string): void {
  out.line(
    `roster of ${out.style('bold', state.network)}: version ${state.version}, threshold ${state.threshold} of ${state.members.size}, created ${formatTime(state.createdAt, zone)}`,
  )
  out.line(`hash ${toHex(state.hash)}`)
  out.line(
    table([
      ['COUNTRY', 'NAME', 'PEER ID'],
      ...[...state.members.values()].map((m) => [m.country, m.name, peerIdOf(m.publicKey)]),
    ]),
  )
}

async function readChain(path: string): Promise<Uint8Array[]> {
  try {
    await access(path)
  } catch {
    throw new CliError('ERR_NO_ROSTER', `no roster chain at ${path}`, {
      hint: 'run the genesis ceremony (`pocnet roster genesis --help`) or pass the chain file with --chain',
    })
  }
  return readRosterChainFile(path)
}

/** The signer is not one whose signature a proposal can carry: signing would only break it. */
class NotASignerError extends CliError {
  constructor(message: string, hint: string) {
    super('ERR_NOT_A_SIGNER', `${message}; nothing was signed`, { hint })
  }
}

/**
 * Refuses to sign `proposal` with `key` when the signature could never count: a genesis is signed
 * by its founders, an amendment by the members of the version it follows. Any other signature does
 * not just go uncounted: `roster combine` refuses a document that carries it (an unknown signer),
 * so the coordinator would learn of the mistake only then. Returns a warning when the local chain
 * cannot say who the members are.
 */
async function checkSigner(
  proposal: RosterProposal,
  key: Uint8Array,
  chainPath: string,
): Promise<string | undefined> {
  const body = proposal.body
  const self = `this node (${peerIdOf(key)})`
  if (body.kind === 'genesis') {
    if (body.members.some((m) => bytesEqual(m.publicKey, key))) return undefined
    throw new NotASignerError(
      `${self} is not one of the founders this genesis proposal lists, and only they sign it`,
      'sign on the node of a founder listed above (is --data-dir or POCNET_HOME the right node?)',
    )
  }
  for (const change of body.changes) {
    if (change.op === 'admit' && bytesEqual(change.member.publicKey, key))
      throw new NotASignerError(
        `${self} is ${change.member.country}, the candidate this amendment admits: a candidate does not sign its own admission, the current members do`,
        `hand the proposal to the members of roster version ${body.version - 1}; once admitted, this node signs later changes`,
      )
    if (change.op === 'rotate' && bytesEqual(change.publicKey, key))
      throw new NotASignerError(
        `${self} holds the new key this amendment gives ${change.country}: the roster does not know that key yet`,
        `the other members sign it; the roster gives ${change.country} this key once they have`,
      )
  }
  let state: RosterState
  try {
    state = verifyRosterChain(await readRosterChainFile(chainPath)).state
  } catch {
    return `cannot check that ${self} is a member of roster version ${body.version - 1}: no valid roster chain at ${chainPath} (give it with --chain)`
  }
  if (state.version !== body.version - 1 || !bytesEqual(state.hash, body.prev))
    return `cannot check that ${self} is a member of roster version ${body.version - 1}: the chain at ${chainPath} is at version ${state.version}${state.version >= body.version ? ', and this proposal can no longer follow it' : ''}`
  if (state.memberByKey(key) !== undefined) return undefined
  throw new NotASignerError(
    `${self} is not a member of roster version ${state.version}, which this amendment follows: only its members sign it`,
    'sign on the node of a current member (is --data-dir or POCNET_HOME the right node?)',
  )
}

/**
 * A member file for a proposal. The roster's own rule is two capital letters; a country admitted
 * is also one ISO 3166-1 assigns (not UK, not EU), or cases with it fail the request forms' check.
 */
async function readMember(file: string): Promise<RosterMember> {
  const member = await readMemberDescriptor(file)
  const iso = checkCountry(member.country)
  if (!iso.ok)
    throw new CliError('ERR_MEMBER_FILE', `${file}: country ${iso.reason}`, {
      hint: 'the member re-runs `pocnet init --country` with the right code',
    })
  return member
}

export function registerRoster(program: Command): void {
  const roster = program
    .command('roster')
    .description('the federation roster: who is a member, under which key (offline ceremony)')
  examples(
    roster,
    'pocnet roster genesis --member it.json --member fr.json --member us.json --threshold 2 --out genesis.json',
    'pocnet roster sign genesis.json --out fr.sig.json',
    'pocnet roster combine genesis.json --sig it.sig.json --sig fr.sig.json --out roster.cbor',
  )

  examples(
    roster
      .command('genesis')
      .description("write the genesis proposal from the founders' member files (coordinator)")
      .requiredOption('--member <file>', "a founder's member.json from `pocnet init` (repeat)", collect)
      .requiredOption('--threshold <n>', 'signatures needed for any later change', positiveInt('--threshold'))
      .option('--network <id>', "the network id (default: this node's config)")
      .requiredOption('--out <file>', 'where to write the proposal (JSON)')
      .action(
        async (
          flags: { member: string[]; threshold: number; network?: string; out: string },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          let network = flags.network
          if (network === undefined) {
            try {
              network = (await readConfig(ctx.dataDir)).network
            } catch {
              throw new UsageError('no --network and no node config to take it from', 'pass --network <id>')
            }
          }
          const members = await Promise.all(flags.member.map((f) => readMember(f)))
          if (flags.threshold > members.length)
            throw new UsageError(`--threshold ${flags.threshold} is more than the ${members.length} members`)
          const proposal = await proposeGenesis(flags.out, { network, threshold: flags.threshold, members })
          for (const line of describeBody(proposal.body, ctx.zone)) out.line(line)
          out.line(
            `wrote ${flags.out}: every founder signs it with \`pocnet roster sign ${flags.out} --out <sig>\``,
          )
        },
      ),
    'pocnet roster genesis --network g8-24-7 --member it.json --member fr.json --member us.json --threshold 2 --out genesis.json',
  )

  examples(
    roster
      .command('propose')
      .description('write an amendment proposal: admit, revoke, rotate a key, change the threshold')
      .option('--admit <file>', 'admit the country of this member.json (repeat)', collect)
      .option('--revoke <CC>', 'revoke a country (repeat)', collect)
      .option('--rotate <file>', "a member.json carrying a country's new key (repeat)", collect)
      .option('--threshold <n>', 'new threshold', positiveInt('--threshold'))
      .option(
        '--witness-key <file>',
        "a member.json carrying a country's ML-DSA-44 witness key, to publish it (repeat)",
        collect,
      )
      .option('--chain <file>', "the current roster chain (default: the data directory's roster.cbor)")
      .requiredOption('--out <file>', 'where to write the proposal (JSON)')
      .action(
        async (
          flags: {
            admit?: string[]
            revoke?: string[]
            rotate?: string[]
            threshold?: number
            witnessKey?: string[]
            chain?: string
            out: string
          },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const changes: RosterChange[] = []
          for (const f of flags.admit ?? []) changes.push({ op: 'admit', member: await readMember(f) })
          for (const cc of flags.revoke ?? []) changes.push({ op: 'revoke', country: cc.toUpperCase() })
          for (const f of flags.rotate ?? []) {
            const m = await readMember(f)
            changes.push({ op: 'rotate', country: m.country, publicKey: m.publicKey })
          }
          if (flags.threshold !== undefined) changes.push({ op: 'threshold', threshold: flags.threshold })
          for (const f of flags.witnessKey ?? []) {
            const m = await readMember(f)
            if (m.mlDsaWitnessKey === undefined)
              throw new CliError('ERR_MEMBER_FILE', `${f}: no mlDsaWitnessKey field`, {
                hint: 'the member writes its member.json again with its ML-DSA-44 witness key in it',
              })
            changes.push({ op: 'witness-key', country: m.country, mlDsaWitnessKey: m.mlDsaWitnessKey })
          }
          if (changes.length === 0)
            throw new UsageError(
              'nothing to propose',
              'give at least one of --admit, --revoke, --rotate, --threshold, --witness-key',
            )
          const chain = await readChain(flags.chain ?? ctx.path('roster'))
          const proposal = await proposeAmendment(flags.out, { chain, changes })
          for (const line of describeBody(proposal.body, ctx.zone)) out.line(line)
          out.line(
            `wrote ${flags.out}: current members sign it with \`pocnet roster sign ${flags.out} --out <sig>\``,
          )
        },
      ),
    'pocnet roster propose --admit de.json --out admit-de.json',
    'pocnet roster propose --revoke XX --threshold 3 --out change.json',
    'pocnet roster propose --witness-key fr.json --witness-key it.json --out pq-witnesses.json',
  )

  examples(
    roster
      .command('sign <proposal>')
      .description("sign a proposal with this node's key (shows what is signed first; needs the passphrase)")
      .requiredOption('--out <file>', 'where to write the signature (JSON)')
      .option(
        '--chain <file>',
        "for an amendment: the current chain, to check this node is a member (default: the data directory's roster.cbor)",
      )
      .action(async (proposalPath: string, flags: { out: string; chain?: string }, command: Command) => {
        const ctx = Context.of(command)
        const proposal = await readProposal(proposalPath)
        for (const line of describeBody(proposal.body, ctx.zone)) out.line(line)
        const identity = await readKeyFile(ctx.path('key'), await obtainPassphrase())
        const warning = await checkSigner(
          proposal,
          identity.signingPublicKey,
          flags.chain ?? ctx.path('roster'),
        )
        if (warning !== undefined) err.line(`${err.style('yellow', 'warning:')} ${warning}`)
        await signProposal(proposalPath, identity, flags.out)
        out.line(`signed as ${identity.peerId.toString()}: wrote ${flags.out}`)
      }),
    'POCNET_PASSPHRASE_FILE=/etc/pocnet/pass pocnet roster sign genesis.json --out fr.sig.json',
  )

  examples(
    roster
      .command('combine <proposal>')
      .description('combine the signatures into the signed roster chain and verify it')
      .requiredOption('--sig <file>', 'a signature file from `roster sign` (repeat)', collect)
      .option(
        '--chain <file>',
        "for an amendment: the current chain (default: the data directory's roster.cbor)",
      )
      .option('--out <file>', "where to write the chain (default: the data directory's roster.cbor)")
      .action(
        async (
          proposalPath: string,
          flags: { sig: string[]; chain?: string; out?: string },
          command: Command,
        ) => {
          const ctx = Context.of(command)
          const proposal = await readProposal(proposalPath)
          const chain =
            proposal.body.kind === 'amendment'
              ? await readChain(flags.chain ?? ctx.path('roster'))
              : undefined
          const chainPath = flags.out ?? ctx.path('roster')
          const verified = await combineSignatures({
            proposalPath,
            signaturePaths: flags.sig,
            chainPath,
            ...(chain === undefined ? {} : { chain }),
          })
          printState(verified.state, ctx.zone)
          out.line(`${out.style('green', '✓')} chain verified, wrote ${chainPath}`)
        },
      ),
    'pocnet roster combine genesis.json --sig it.sig.json --sig fr.sig.json --sig us.sig.json --out roster.cbor',
    'pocnet roster combine admit-de.json --sig it.sig.json --sig fr.sig.json   # into the data directory',
  )

  examples(
    roster
      .command('show')
      .description("show this node's roster: members, keys, threshold")
      .option('--file <chain>', "a roster chain file (default: the data directory's roster.cbor)")
      .addOption(jsonOption())
      .action(async (flags: { file?: string; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { state } = verifyRosterChain(await readChain(flags.file ?? ctx.path('roster')))
        if (flags.json) out.json(stateJson(state))
        else printState(state, ctx.zone)
      }),
    'pocnet roster show',
    'pocnet roster show --json | jq .members',
  )

  examples(
    roster
      .command('verify <chain-file>')
      .description('verify a roster chain from genesis: signatures, links, thresholds')
      .addOption(jsonOption())
      .action(async (file: string, flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const chain = await readChain(file)
        let state: RosterState
        try {
          state = verifyRosterChain(chain).state
        } catch (e) {
          throw new CliError(
            (e as { code?: string }).code ?? 'ERR_ROSTER',
            `${file}: ${(e as Error).message}`,
          )
        }
        if (flags.json) out.json({ ok: true, ...stateJson(state) })
        else {
          printState(state, ctx.zone)
          out.line(`${out.style('green', '✓')} ${file}: ${chain.length} document(s) verified`)
        }
      }),
    'pocnet roster verify roster.cbor',
  )

  examples(
    roster
      .command('push [chain-file]')
      .description(
        "offer a roster chain (default: the data directory's roster.cbor) to the running node, which adopts it if newer and passes it to its peers",
      )
      .addOption(jsonOption())
      .action(async (file: string | undefined, flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const path = file ?? ctx.path('roster')
        const chain = await readChain(path)
        const r = await ctx.call(directoryRoutes.offerRoster, {
          body: { chain: Buffer.from(encodeRosterChain(chain)).toString('base64') },
        })
        if (flags.json) out.json(r)
        else if (r.outcome === 'adopted') {
          out.line(
            `${out.style('green', '✓')} the node adopted roster version ${r.version} and is passing it to its peers`,
          )
        } else out.line(`the node already holds roster version ${r.version} (${r.outcome}); nothing changed`)
      }),
    'pocnet roster combine admit-de.json --sig it.sig.json --sig fr.sig.json && pocnet roster push',
  )
}
