// Loopback addresses for pods: on Linux all of 127.0.0.0/8 reaches this machine without setup, so
// each pod gets an address of its own (127.10.<block>.x, the runtime's block from
// address-block.ts) and can bind 5432, 8000 and 9187 as in a real pod. Services get theirs from
// the API server (spec.clusterIP, 127.1.<block>.x): the two ranges do not overlap.
import { podAddressPrefix } from '../address-block.ts';

export class AddressExhaustedError extends Error {}

/** Hands out pod addresses, skipping those in use; the caller seeds it with the addresses of pods it adopts. */
export class LoopbackAllocator {
  readonly #prefix: string;
  readonly #inUse = new Set<string>();
  #next = 1;

  constructor(block: number) {
    this.#prefix = podAddressPrefix(block);
  }

  reserve(address: string): void {
    this.#inUse.add(address);
  }

  release(address: string): void {
    this.#inUse.delete(address);
  }

  has(address: string): boolean {
    return this.#inUse.has(address);
  }

  /** True for an address this allocator could hand out. */
  owns(address: string): boolean {
    return address.startsWith(this.#prefix);
  }

  /** The next free address, round-robin so a released address is not reused at once. */
  allocate(): string {
    for (let i = 0; i < 254; i++) {
      const n = ((this.#next - 1 + i) % 254) + 1;
      const address = `${this.#prefix}${n}`;
      if (this.#inUse.has(address)) continue;
      this.#next = n + 1;
      this.#inUse.add(address);
      return address;
    }
    throw new AddressExhaustedError(`no free pod address left in ${this.#prefix}0/24`);
  }
}
