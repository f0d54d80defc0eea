// Several local runtimes (several data directories, or test suites running side by side) share
// this machine's loopback range. Each claims a block of its own, machine-wide, so that its pods
// (127.10.<block>.x) and services (127.1.<block>.x) never take another runtime's addresses. A
// claim lives as long as the process that made it; a data directory prefers the block it had
// before, so a restarted runtime keeps its addresses.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { processAlive } from './process-alive.ts';

const REGISTRY = join(tmpdir(), 'cnpg-local-address-blocks');
const BLOCKS = 250;
const PREFERENCE_FILE = 'address-block';

const claims = new Map<string, number>();

function tryClaim(index: number, owner: string): boolean {
  const file = join(REGISTRY, String(index));
  try {
    writeFileSync(file, owner, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder: string;
  try {
    holder = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  if (holder === owner) return true;
  if (processAlive(Number(holder.split(' ')[0]))) return false;
  // The claimant died: take the block over (a racing claimant loses on the exclusive create).
  try {
    unlinkSync(file);
    writeFileSync(file, owner, { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function preferredBlock(dataDir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(dataDir, PREFERENCE_FILE), 'utf8').trim());
    return Number.isInteger(n) && n >= 0 && n < BLOCKS ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The address block of the runtime of `dataDir` (the same answer for every caller in this process). */
export function claimAddressBlock(dataDir: string): number {
  const dir = resolve(dataDir);
  const known = claims.get(dir);
  if (known !== undefined) return known;
  mkdirSync(REGISTRY, { recursive: true, mode: 0o1777 });
  mkdirSync(dir, { recursive: true });
  const owner = `${process.pid} ${dir}`;
  const preferred = preferredBlock(dir);
  const order = [...(preferred === undefined ? [] : [preferred]), ...Array.from({ length: BLOCKS }, (_, i) => i)];
  for (const index of order) {
    if (tryClaim(index, owner)) {
      claims.set(dir, index);
      writeFileSync(join(dir, PREFERENCE_FILE), `${index}\n`);
      return index;
    }
  }
  throw new Error(`all ${BLOCKS} local runtime address blocks are in use (see ${REGISTRY})`);
}

/** Pod addresses of a block: 127.10.<block>.1-254. */
export const podAddressPrefix = (block: number) => `127.10.${block}.`;
/** Service (clusterIP) addresses of a block: 127.1.<block>.1-254. */
export const serviceAddressPrefix = (block: number) => `127.1.${block}.`;
