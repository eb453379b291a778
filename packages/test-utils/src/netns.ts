import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { HarnessError } from './errors.ts'

/**
 * Every namespace this harness creates is named `pocnet-ns-<pid>-<name>`, with the pid of the
 * test process: runs in parallel never share one, and a killed run's leftovers are known by a
 * pid that is no longer alive.
 */
export const NETNS_PREFIX = 'pocnet-ns-'

const execFileAsync = promisify(execFile)

async function ip(args: string[]): Promise<string> {
  try {
    return (await execFileAsync('ip', args)).stdout
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim()
    throw new HarnessError('ERR_NETNS', `ip ${args.join(' ')} failed: ${stderr || (err as Error).message}`)
  }
}

/**
 * Why this machine cannot run nodes in network namespaces, or undefined when it can: Linux, root,
 * iproute2, and a namespace holding a bridge can be created (probed, then removed).
 */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root'
  const probe = `${NETNS_PREFIX}${process.pid}-probe`
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' })
  } catch (err) {
    return `\`ip netns add\` failed (${String((err as { stderr?: unknown }).stderr ?? err).trim()})`
  }
  try {
    execFileSync('ip', ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge'], { stdio: 'pipe' })
    return undefined
  } catch (err) {
    return `no bridge in a network namespace (${String((err as { stderr?: unknown }).stderr ?? err).trim()})`
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' })
    } catch {
      // left for removeLeftoverNamespaces, once this process is gone
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * Removes the namespaces an earlier, killed run of this harness left behind (their test process
 * is gone), first SIGKILLing the daemons that run on inside them. Returns their names.
 */
export async function removeLeftoverNamespaces(): Promise<string[]> {
  const removed: string[] = []
  for (const line of (await ip(['netns', 'list'])).split('\n')) {
    const name = line.split(' ')[0] ?? ''
    if (!name.startsWith(NETNS_PREFIX)) continue
    const owner = Number(name.slice(NETNS_PREFIX.length).split('-')[0])
    if (!Number.isSafeInteger(owner) || isAlive(owner)) continue
    for (const pid of (await ip(['netns', 'pids', name])).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await ip(['netns', 'del', name])
    removed.push(name)
  }
  return removed
}

/** One member of a namespace network: its namespace and its current IPv4 address there. */
export interface NetnsMember {
  readonly name: string
  readonly namespace: string
  /** The interface inside the member's namespace, joined to the hub. */
  readonly device: string
  /** The member's port on the hub's bridge. */
  readonly hubPort: string
  address: string
}

const DEVICE = 'eth0'
const BRIDGE = 'br0'
const PREFIX_LENGTH = 24

/**
 * A private network of namespaces: a hub namespace holding a bridge, and one namespace per member
 * joined to it by a veth pair, each member at `<subnet>.<n>` (n = 1, 2, …). Nothing touches the
 * host's own interfaces. A member is cut off by taking its hub port down (its side sees the
 * carrier go), and rejoins by bringing it up.
 */
export class NamespaceNetwork {
  readonly hub: string
  readonly subnet: string
  readonly #members = new Map<string, NetnsMember>()

  private constructor(hub: string, subnet: string) {
    this.hub = hub
    this.subnet = subnet
  }

  /** Creates the hub and the members' namespaces; removes whatever it made if a step fails. */
  static async create(names: string[], subnet = '10.77.0'): Promise<NamespaceNetwork> {
    const base = `${NETNS_PREFIX}${process.pid}-${Date.now().toString(36)}`
    const net = new NamespaceNetwork(`${base}-hub`, subnet)
    try {
      await ip(['netns', 'add', net.hub])
      await ip(['-n', net.hub, 'link', 'add', BRIDGE, 'type', 'bridge'])
      await ip(['-n', net.hub, 'link', 'set', BRIDGE, 'up'])
      for (const [i, name] of names.entries()) {
        const member: NetnsMember = {
          name,
          namespace: `${base}-${name}`,
          device: DEVICE,
          hubPort: `port${i + 1}`,
          address: `${subnet}.${i + 1}`,
        }
        net.#members.set(name, member)
        const ns = member.namespace
        await ip(['netns', 'add', ns])
        await ip(['-n', ns, 'link', 'set', 'lo', 'up'])
        // created inside the namespaces: no interface of the host's is ever named or touched
        await ip([
          '-n',
          ns,
          'link',
          'add',
          DEVICE,
          'type',
          'veth',
          'peer',
          'name',
          member.hubPort,
          'netns',
          net.hub,
        ])
        await ip(['-n', net.hub, 'link', 'set', member.hubPort, 'master', BRIDGE])
        await ip(['-n', net.hub, 'link', 'set', member.hubPort, 'up'])
        await ip(['-n', ns, 'addr', 'add', `${member.address}/${PREFIX_LENGTH}`, 'dev', DEVICE])
        await ip(['-n', ns, 'link', 'set', DEVICE, 'up'])
      }
      return net
    } catch (err) {
      await net.destroy().catch(() => {})
      throw err
    }
  }

  member(name: string): NetnsMember {
    const found = this.#members.get(name)
    if (found === undefined)
      throw new HarnessError('ERR_NETNS', `no member ${name} in this namespace network`)
    return found
  }

  /** The command that runs a program inside the member's namespace (exec'd in place: the pid stays). */
  launcher(name: string): string[] {
    return ['ip', 'netns', 'exec', this.member(name).namespace]
  }

  /** Cuts the member off from every other: its hub port goes down. */
  async cut(name: string): Promise<void> {
    await ip(['-n', this.hub, 'link', 'set', this.member(name).hubPort, 'down'])
  }

  /** Joins the member to the others again. */
  async join(name: string): Promise<void> {
    await ip(['-n', this.hub, 'link', 'set', this.member(name).hubPort, 'up'])
  }

  /** Moves the member to `address` (in the subnet): the old one is removed, the new one added. */
  async changeAddress(name: string, address: string): Promise<void> {
    const member = this.member(name)
    await ip(['-n', member.namespace, 'addr', 'del', `${member.address}/${PREFIX_LENGTH}`, 'dev', DEVICE])
    await ip(['-n', member.namespace, 'addr', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', DEVICE])
    member.address = address
  }

  /**
   * Deletes every namespace of this network (their veth pairs go with them). Stop the processes
   * inside first: a namespace a process still runs in outlives its name.
   */
  async destroy(): Promise<void> {
    const names = [...[...this.#members.values()].map((m) => m.namespace), this.hub]
    const existing = new Set((await ip(['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]))
    for (const ns of names) if (existing.has(ns)) await ip(['netns', 'del', ns])
  }
}
