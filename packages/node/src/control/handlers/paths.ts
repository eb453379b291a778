import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'

/**
 * Whether `path` is `dir` or inside it, following symbolic links on both sides (the file itself
 * need not exist yet: its nearest existing parent is resolved).
 */
export async function isInside(path: string, dir: string): Promise<boolean> {
  const real = async (p: string): Promise<string> => {
    try {
      return await realpath(p)
    } catch {
      const parent = dirname(p)
      return parent === p ? p : join(await real(parent), basename(p))
    }
  }
  const rel = relative(await real(dir), await real(path))
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}
