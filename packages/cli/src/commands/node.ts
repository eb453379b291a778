import { access } from 'node:fs/promises'
import type { LogLevel } from '@pocnet/node/client'
import {
  ControlCallError,
  ControlClient,
  DaemonUnreachableError,
  directoryRoutes,
  ROLES,
  type Role,
  statusRoutes,
  userRoutes,
} from '@pocnet/node/control-client'
import { type Command, Option } from 'commander'
import { Context, controlError } from '../context.ts'
import { CliError } from '../errors.ts'
import { examples, jsonOption } from '../help.ts'
import { describe, formatTime, out, relative, table } from '../output.ts'
import { directoryTable } from './directory-table.ts'
import { registerPeersAdd } from './peers-add.ts'
import { publicationLines } from './publication-lines.ts'
import { expiryLine, expiryOf, registerUserToken } from './user-token.ts'

/** A health check waits this long for the daemon's answer. */
const PING_TIMEOUT_MS = 5_000

/** The daemon answers HTTP on its socket: a tokenless call is refused with 401, which proves it serves. */
async function pingDaemon(socket: string): Promise<boolean> {
  try {
    await new ControlClient(socket, '').call(statusRoutes.health, {}, PING_TIMEOUT_MS)
    return true
  } catch (e) {
    return e instanceof ControlCallError
  }
}

async function mustExist(path: string, what: string, hint: string): Promise<void> {
  try {
    await access(path)
  } catch {
    throw new CliError('ERR_NOT_READY', `${what} missing: ${path}`, { hint })
  }
}

export function registerNode(program: Command): void {
  examples(
    program
      .command('start')
      .description('run the node in the foreground until SIGTERM or Ctrl-C (logs JSON to stderr)')
      .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']))
      .option('--json', 'print the ready line as JSON on stdout')
      .action(async (flags: { logLevel?: LogLevel; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        await mustExist(
          ctx.path('config'),
          'node config',
          'run `pocnet init` first, or set --data-dir / POCNET_HOME',
        )
        await mustExist(
          ctx.path('roster'),
          'roster chain',
          'finish the roster ceremony (`pocnet roster --help`) and put roster.cbor in the data directory',
        )
        // the daemon (libp2p and all) loads only here, so the other commands start fast
        const { runDaemon } = await import('@pocnet/node')
        const code = await runDaemon({
          dataDir: ctx.dataDir,
          ...(flags.logLevel === undefined ? {} : { logLevel: flags.logLevel }),
          onReady: (info) => {
            if (flags.json) out.line(JSON.stringify({ ready: true, ...info }))
            else {
              out.line(`${out.style('green', '●')} pocnet node ${info.peerId} serving`)
              for (const a of info.addresses) out.line(`  listening ${a}`)
              out.line(`  control   ${info.socket}`)
            }
          },
        })
        if (code !== 0)
          throw new CliError('ERR_DAEMON', `the node stopped with code ${code}`, {
            hint: 'read the JSON log lines above (event node.start-failed names the cause)',
          })
      }),
    'POCNET_PASSPHRASE_FILE=/etc/pocnet/pass pocnet start',
    'pocnet --data-dir /var/lib/pocnet start --log-level debug 2>>pocnet.log',
  )

  examples(
    program
      .command('status')
      .description("the running node's health: peers, outbox, ledger, roster")
      .addOption(jsonOption())
      .option(
        '--ping',
        'only check that the daemon serves its control API (no token needed: for health checks)',
      )
      .action(async (flags: { json?: boolean; ping?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        if (flags.ping) {
          const alive = await pingDaemon(ctx.socketPath)
          if (flags.json) out.json({ serving: alive, socket: ctx.socketPath })
          if (!alive) throw controlError(new DaemonUnreachableError(ctx.socketPath, 'no answer'))
          if (!flags.json) out.line(`${out.style('green', '●')} the daemon serves on ${ctx.socketPath}`)
          return
        }
        const h = await ctx.call(statusRoutes.health)
        if (flags.json) return out.json(h)
        out.line(
          `${out.style('green', '●')} ${out.style('bold', h.country)} on ${h.network}, up since ${formatTime(h.startedAt, ctx.zone)}`,
        )
        const publication = publicationLines(h.directory, ctx.zone)
        if (publication.warning !== undefined) out.line(publication.warning)
        out.line(`  peer id        ${h.peerId}`)
        out.line(`  listening      ${h.addresses.join(' ') || 'nowhere'}`)
        out.line(`  roster         version ${h.rosterVersion}`)
        out.line(`  directory      ${publication.row}`)
        out.line(
          `  sealing        ${h.sealing === 'hybrid' ? 'hybrid (X-Wing and NaCl box) to countries that advertise it' : out.style('yellow', 'classical only (hybridSealing is off, docs/operations.md)')}`,
        )
        if (h.keyRetired !== null)
          out.line(
            `  node key       ${out.style('red', `${h.keyRetired.how === 'rotated' ? 'rotated out' : 'revoked'} by roster version ${h.keyRetired.atVersion}`)}: this node dials nobody (${h.dialsWhileRetired} dials refused); ${h.keyRetired.how === 'rotated' ? 'stop it and start the node holding the new key' : 'stop it'}`,
          )
        if (h.keysWithSealedBlobs > 0)
          out.line(
            `  old messages   ${out.style('yellow', `bodies sealed under ${h.keysWithSealedBlobs} earlier key${h.keysWithSealedBlobs === 1 ? '' : 's'} cannot be opened`)} (rotated without the old key; the entries verify)`,
          )
        out.line(`  peers          ${h.peersConnected} (${h.connectedCountries.join(', ') || 'none'})`)
        out.line(
          `  outbox         ${h.outboxDepth} waiting${h.oldestUndeliveredAt === null ? '' : `, oldest queued ${relative(h.oldestUndeliveredAt)}`}`,
        )
        out.line(`  delivered      ${h.delivered}   received ${h.received}`)
        if (h.damagedCases > 0)
          out.line(
            `  damaged cases  ${out.style('red', `${h.damagedCases} with messages that cannot be read`)} (\`pocnet inbox\` lists them; restore from a backup)`,
          )
        const rejected = Object.entries(h.rejected)
        out.line(
          `  rejected       ${rejected.length === 0 ? 'none since start' : rejected.map(([k, v]) => `${k}=${v}`).join(' ')}`,
        )
        const refused = Object.entries(h.connectionRefusals)
        out.line(
          `  refused conns  ${refused.length === 0 ? 'none since start' : refused.map(([k, v]) => `${k}=${v}`).join(' ')}`,
        )
        out.line(
          `  ledger         ${h.ledgerSize} entries${h.lastCheckpoint === null ? '' : `, checkpoint at ${h.lastCheckpoint.size}`}`,
        )
        const w = h.witness
        out.line(
          `  witnessed      ${w.latestSize === null ? 'no checkpoint yet' : `checkpoint ${w.latestSize} cosigned by ${w.cosigners.length} of ${w.minCosigners} wanted (${w.cosigners.join(', ') || 'none'})`}${w.latestSize !== null && !w.meetsPolicy ? out.style('yellow', ' — below the policy: the node works on; see docs/operations.md') : ''}`,
        )
        for (const m of w.witnesses)
          out.line(
            `    ${m.country}  ${m.cosignedSize === null ? 'nothing cosigned yet' : `cosigned ${m.cosignedSize} at ${formatTime(m.cosignedAt!, ctx.zone)}`}${m.lastError === null ? '' : `  (last try: ${m.lastError})`}`,
          )
        out.line(`  witnessing     ${w.cosignedForOthers} checkpoints of other members cosigned since start`)
        for (const a of w.alerts)
          out.line(
            out.style(
              'red',
              `  EQUIVOCATION   ${a.againstSelf ? 'THIS NODE' : a.country}: ${a.kind === 'same-size' ? `two trees of size ${a.heldSize}` : `size ${a.conflictingSize} does not extend ${a.heldSize}`}, reported by ${a.reportedBy} at ${formatTime(a.recordedAt, ctx.zone)}`,
            ),
          )
      }),
    'pocnet status',
    'pocnet status --json | jq .outboxDepth',
  )

  const peers = program
    .command('peers')
    .description('connections open now, with the member country of each peer; `peers add` to add one')
  examples(
    peers.addOption(jsonOption()).action(async (flags: { json?: boolean }, command: Command) => {
      const ctx = Context.of(command)
      const { peers } = await ctx.call(statusRoutes.peers)
      if (flags.json) return out.json({ peers })
      if (peers.length === 0) return out.line('no peers connected')
      out.line(
        table([
          ['COUNTRY', 'DIRECTION', 'SINCE', 'ADDRESS', 'PEER ID'],
          ...peers.map((p) => [
            p.country ?? '??',
            p.direction,
            formatTime(p.openedAt, ctx.zone),
            p.address,
            p.peerId,
          ]),
        ]),
      )
    }),
    'pocnet peers',
    'pocnet peers --json',
  )
  registerPeersAdd(peers)

  const user = program.command('user').description('local users of this node and their roles (operator)')
  examples(user, 'pocnet user add duty-officer --role contact', 'pocnet user list')
  examples(
    user
      .command('add <name>')
      .description('add a user and print their token, once')
      .addOption(
        new Option('--role <role>', 'what the user may do').choices([...ROLES]).makeOptionMandatory(),
      )
      .option('--expires <lifetime>', 'the token stops working after this long: 90d, 12h, 30m')
      .option('--json', 'print the result as JSON (includes the token)')
      .action(
        async (name: string, flags: { role: Role; expires?: string; json?: boolean }, command: Command) => {
          const ctx = Context.of(command)
          const expiresAt = flags.expires === undefined ? undefined : expiryOf(flags.expires)
          const r = await ctx.call(userRoutes.add, {
            body: { name, role: flags.role, ...(expiresAt === undefined ? {} : { expiresAt }) },
          })
          if (flags.json) return out.json(r)
          out.line(`${out.style('green', '✓')} user ${r.name} (${r.role}) added`)
          out.line(out.style('bold', 'Token — shown once, hand it to the user now:'))
          out.line(`  ${r.token}`)
          if (r.expiresAt !== null) out.line(expiryLine(r.expiresAt, ctx.zone))
        },
      ),
    'pocnet user add duty-officer --role contact',
    'pocnet user add oversight --role auditor --expires 90d',
  )
  registerUserToken(user)
  examples(
    user
      .command('list')
      .description('list the users and their roles (never their tokens)')
      .addOption(jsonOption())
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { users } = await ctx.call(userRoutes.list)
        if (flags.json) return out.json({ users })
        out.line(
          table([
            ['NAME', 'ROLE', 'CREATED', 'TOKEN EXPIRES'],
            ...users.map((u) => [
              u.name,
              u.role,
              formatTime(u.createdAt, ctx.zone),
              u.expiresAt === undefined ? 'never' : formatTime(u.expiresAt, ctx.zone),
            ]),
          ]),
        )
      }),
    'pocnet user list',
  )
  examples(
    user
      .command('remove <name>')
      .description('remove a user: their token stops working at once')
      .action(async (name: string, _flags: unknown, command: Command) => {
        const ctx = Context.of(command)
        await ctx.call(userRoutes.remove, { params: { name } })
        out.line(`${out.style('green', '✓')} user ${name} removed`)
      }),
    'pocnet user remove duty-officer',
  )

  const directory = program.command('directory').description('the signed directory of the points of contact')
  examples(directory, 'pocnet directory list', 'pocnet directory show FR', 'pocnet directory publish')
  examples(
    directory
      .command('publish')
      .description("publish this country's record (from contact.json) to the DHT now")
      .addOption(jsonOption())
      .action(async (flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const r = await ctx.call(directoryRoutes.publish)
        if (flags.json) return out.json(r)
        out.line(`${out.style('green', '✓')} published record seq ${r.seq}, stored by ${r.storedBy} peer(s)`)
      }),
    'pocnet directory publish',
  )
  examples(
    directory
      .command('show <CC>')
      .description(
        "a country's directory record: unit, 24/7 phone and e-mail, languages, time zone, services",
      )
      .addOption(jsonOption())
      .action(async (cc: string, flags: { json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const r = await ctx.call(directoryRoutes.lookup, { params: { country: cc.toUpperCase() } })
        if (flags.json) return out.json(r)
        const rec = r.record
        out.line(out.style('bold', `${rec.country} — ${rec.unit}`))
        out.line(`  kind         ${rec.contactKind}`)
        out.line(`  phone 24/7   ${rec.phone}`)
        out.line(`  e-mail       ${rec.email}`)
        out.line(`  languages    ${rec.languages.join(', ')}`)
        out.line(
          `  time zone    ${rec.timeZone}  (local time there: ${formatTime(Date.now(), rec.timeZone)})`,
        )
        out.line(`  services     ${rec.services.join(', ')}`)
        if (rec.mlaAuthority !== null)
          for (const l of describe({ 'MLA authority': rec.mlaAuthority }, '  ')) out.line(l)
        if (rec.reservations.length > 0) out.line(`  reservations ${rec.reservations.join('; ')}`)
        if (rec.declarations !== undefined && rec.declarations.length > 0)
          out.line(`  declarations ${rec.declarations.join(', ')}`)
        out.line(
          `  sealing      ${rec.kemPublicKey === undefined ? 'classical (no X-Wing key advertised)' : 'hybrid (X-Wing key advertised)'}`,
        )
        out.line(
          `  record       seq ${rec.seq}, expires ${formatTime(rec.expiresAt, ctx.zone)} (from ${r.source}, ${formatTime(r.fetchedAt, ctx.zone)})`,
        )
      }),
    'pocnet directory show FR',
    'pocnet directory show US --json | jq .record.phone',
  )
  examples(
    directory
      .command('list')
      .description(
        'every member country: its record (looked up in the DHT when not held), freshness and connection',
      )
      .addOption(jsonOption())
      .option('--cached', 'list only the records this node holds; look nothing up')
      .action(async (flags: { json?: boolean; cached?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const { countries } = await ctx.call(directoryRoutes.list, {
          query: flags.cached ? { cached: 1 } : {},
        })
        if (flags.json) return out.json({ countries })
        out.line(directoryTable(countries, ctx.zone))
      }),
    'pocnet directory list',
    'pocnet directory list --cached',
  )
}
