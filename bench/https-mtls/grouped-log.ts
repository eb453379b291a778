/**
 * An append-only log whose writes are group-committed: every line waiting when a write finishes
 * goes out in one write and one fdatasync (what LevelDB's synchronous batch does), and each
 * caller hears back only once its line is on disk.
 */
import { type FileHandle, open } from 'node:fs/promises'

interface Waiting {
  line: string
  resolve: () => void
  reject: (err: unknown) => void
}

export class GroupedLog {
  readonly #file: FileHandle
  #waiting: Waiting[] = []
  #writing = false

  private constructor(file: FileHandle) {
    this.#file = file
  }

  static async open(path: string): Promise<GroupedLog> {
    return new GroupedLog(await open(path, 'a'))
  }

  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ line, resolve, reject })
      if (!this.#writing) void this.#flush()
    })
  }

  async #flush(): Promise<void> {
    this.#writing = true
    while (this.#waiting.length > 0) {
      const group = this.#waiting
      this.#waiting = []
      try {
        await this.#file.write(group.map((w) => `${w.line}\n`).join(''))
        await this.#file.datasync()
        for (const w of group) w.resolve()
      } catch (err) {
        for (const w of group) w.reject(err)
      }
    }
    this.#writing = false
  }

  async close(): Promise<void> {
    await this.#file.close()
  }
}
