// Loopback addresses for pods: on Linux all of 127.0.0.0/8 reaches this machine without setup, so
// each pod gets an address of its own (127.10.x.y) and can bind 5432, 8000 and 9187 as in a real
// pod. Services get theirs from the API server (spec.clusterIP); the two ranges do not overlap.

/** The pods' range: 127.10.0.1 – 127.10.255.254. */
const POD_PREFIX = [127, 10];

export class AddressExhaustedError extends Error {}

/** Hands out pod addresses, skipping those in use; the caller seeds it with the addresses of pods it adopts. */
export class LoopbackAllocator {
  readonly #inUse = new Set<string>();
  #next = 1;

  reserve(address: string): void {
    this.#inUse.add(address);
  }

  release(address: string): void {
    this.#inUse.delete(address);
  }

  has(address: string): boolean {
    return this.#inUse.has(address);
  }

  /** The next free address, round-robin so a released address is not reused at once. */
  allocate(): string {
    const size = 256 * 256;
    for (let i = 0; i < size; i++) {
      const n = ((this.#next - 1 + i) % (size - 2)) + 1;
      const address = `${POD_PREFIX.join('.')}.${n >> 8}.${n & 255}`;
      if ((n & 255) === 0 || (n & 255) === 255 || this.#inUse.has(address)) continue;
      this.#next = n + 1;
      this.#inUse.add(address);
      return address;
    }
    throw new AddressExhaustedError('no free pod address left in 127.10.0.0/16');
  }
}

/** True for an address the pod allocator could hand out. */
export function isPodAddress(address: string): boolean {
  return address.startsWith(`${POD_PREFIX.join('.')}.`);
}
