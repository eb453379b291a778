import { userRoutes } from '@pocnet/node/control-client'
import type { Command } from 'commander'
import { Context } from '../context.ts'
import { UsageError } from '../errors.ts'
import { examples } from '../help.ts'
import { formatTime, out } from '../output.ts'

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const
const LIFETIME = /^([1-9]\d{0,5})([dhm])$/

/** `--expires 90d` (days, hours or minutes) as the time it ends, ms since the epoch. */
export function expiryOf(lifetime: string, now = Date.now()): number {
  const m = LIFETIME.exec(lifetime.trim())
  if (m === null)
    throw new UsageError(
      `--expires ${lifetime}: must be a whole number followed by d, h or m, like 90d`,
      'for example --expires 90d (90 days), --expires 12h, --expires 30m',
    )
  return now + Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]
}

/** The line saying when a token stops working. */
export function expiryLine(expiresAt: number | null, zone: string): string {
  return expiresAt === null
    ? '  it does not expire'
    : `  it expires ${formatTime(expiresAt, zone)}; \`pocnet user token rotate\` gives a new one`
}

/** `pocnet user token rotate <name>`: a new token in place of the old, which stops working at once. */
export function registerUserToken(user: Command): void {
  const token = user.command('token').description("a user's token (operator)")
  examples(token, 'pocnet user token rotate duty-officer --expires 90d')
  examples(
    token
      .command('rotate <name>')
      .description('give a user a new token; the old one stops working at once')
      .option('--expires <lifetime>', 'the new token stops working after this long: 90d, 12h, 30m')
      .option('--json', 'print the result as JSON (includes the token)')
      .action(async (name: string, flags: { expires?: string; json?: boolean }, command: Command) => {
        const ctx = Context.of(command)
        const expiresAt = flags.expires === undefined ? undefined : expiryOf(flags.expires)
        const r = await ctx.call(userRoutes.rotate, {
          params: { name },
          body: expiresAt === undefined ? {} : { expiresAt },
        })
        if (flags.json) return out.json(r)
        out.line(
          `${out.style('green', '✓')} new token for ${r.name} (${r.role}); the old one no longer works`,
        )
        out.line(out.style('bold', 'Token — shown once, hand it to the user now:'))
        out.line(`  ${r.token}`)
        out.line(expiryLine(r.expiresAt, ctx.zone))
      }),
    'pocnet user token rotate duty-officer',
    'pocnet user token rotate duty-officer --expires 90d',
  )
}
