import { readdir, readFile, readlink } from 'node:fs/promises'
import { createServer } from 'node:net'

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it, we release it.
 * Nodes get fixed ports so their addresses survive restarts and can go into each other's
 * bootstrap lists before any of them runs.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('no TCP address from the kernel'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

/**
 * The TCP ports process `pid` listens on (Linux: its socket descriptors matched against
 * /proc/net/tcp and tcp6 in the LISTEN state), sorted.
 */
export async function listeningTcpPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>()
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
    if (inode !== undefined) inodes.add(inode)
  }
  const ports = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '')
    for (const row of text.split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/)
      // local_address is ADDR:PORT in hex, st 0A is LISTEN, the inode is the tenth field
      if (fields[3] === '0A' && inodes.has(fields[9] ?? ''))
        ports.add(Number.parseInt(fields[1]!.split(':')[1]!, 16))
    }
  }
  return [...ports].sort((a, b) => a - b)
}
