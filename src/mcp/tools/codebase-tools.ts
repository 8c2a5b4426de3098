import { constants } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { McpToolRegistry } from '../mcp-tool-registry';
import { ToolRefusal } from '../mcp-tool';

const MAX_ENTRIES = 1000;
const relativePath = z.string().max(1024).describe('A path relative to the codebase root, with / separators');

type EntryType = 'file' | 'directory' | 'symlink' | 'other';

/**
 * The Codebase MCP server's tools: list a directory and read a file under ALPHASWARM_MCP_CODEBASE_ROOT.
 * A path is refused when it is absolute, has a `..` segment or a NUL, or resolves (through symlinks)
 * outside the root; a file is refused when it is not a regular file (devices, FIFOs, sockets) or is
 * larger than ALPHASWARM_MCP_CODEBASE_MAX_FILE_BYTES.
 */
@Injectable()
export class CodebaseTools implements OnModuleInit {
  private readonly root?: string;
  private readonly maxFileBytes: number;
  private realRoot?: Promise<string>;

  constructor(
    private readonly registry: McpToolRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.root = config.mcp.codebase.root;
    this.maxFileBytes = config.mcp.codebase.maxFileBytes;
  }

  onModuleInit(): void {
    this.registry.register({
      server: 'codebase',
      name: 'codebase.list_files',
      title: 'List files',
      description: 'The entries of one directory of the codebase (not recursive).',
      permission: 'read:mcp:codebase',
      mutates: false,
      input: { path: relativePath.optional() },
      run: async (_context, args) => {
        const { root, real } = await this.resolve(args.path ?? '.');
        const stats = await lstat(real);
        if (!stats.isDirectory()) throw new ToolRefusal('invalid_request', 'The path is not a directory');
        const entries = (await readdir(real, { withFileTypes: true }))
          .sort((a, b) => a.name.localeCompare(b.name))
          .slice(0, MAX_ENTRIES)
          .map((entry) => ({ name: entry.name, type: typeOf(entry) }));
        return { path: displayPath(root, real), entries, truncated: entries.length === MAX_ENTRIES };
      },
    });

    this.registry.register({
      server: 'codebase',
      name: 'codebase.read_file',
      title: 'Read a file',
      description: `One text file of the codebase (regular files up to the configured size).`,
      permission: 'read:mcp:codebase',
      mutates: false,
      input: { path: relativePath },
      run: async (_context, args) => {
        const { root, real } = await this.resolve(args.path);
        // O_NOFOLLOW: the path was resolved already, so a symlink here was swapped in since: refuse.
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        const handle = await open(
          real,
          constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        ).catch(() => {
          throw new ToolRefusal('not_found', 'No such file in the codebase');
        });
        try {
          const stats = await handle.stat();
          if (!stats.isFile()) throw new ToolRefusal('invalid_request', 'Not a regular file');
          if (stats.size > this.maxFileBytes) {
            throw new ToolRefusal('invalid_request', `The file is larger than ${this.maxFileBytes} bytes`);
          }
          const bytes = await handle.readFile();
          if (bytes.includes(0)) throw new ToolRefusal('invalid_request', 'The file is binary');
          return { path: displayPath(root, real), size: stats.size, content: bytes.toString('utf8') };
        } finally {
          await handle.close();
        }
      },
    });
  }

  /** The real path of `path` under the root, or a refusal that never names anything outside it. */
  private async resolve(path: string): Promise<{ root: string; real: string }> {
    if (this.root === undefined) {
      throw new ToolRefusal(
        'service_unavailable',
        'No codebase is configured (ALPHASWARM_MCP_CODEBASE_ROOT)',
      );
    }
    if (path.includes('\0') || isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith('\\')) {
      throw new ToolRefusal('invalid_request', 'The path must be relative to the codebase root');
    }
    if (path.split(/[/\\]/).includes('..')) {
      throw new ToolRefusal('invalid_request', 'The path must not contain ..');
    }
    this.realRoot ??= realpath(this.root);
    const root = await this.realRoot;
    let real: string;
    try {
      real = await realpath(resolve(root, path));
    } catch {
      throw new ToolRefusal('not_found', 'No such path in the codebase');
    }
    if (real !== root && !real.startsWith(`${root}${sep}`)) {
      throw new ToolRefusal('invalid_request', 'The path leaves the codebase root');
    }
    return { root, real };
  }
}

function typeOf(entry: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  return 'other';
}

function displayPath(root: string, real: string): string {
  return relative(root, real).split(sep).join('/') || '.';
}
