/**
 * Small, fast, seedable PRNG (sfc32) with sub-streams: every entity (a user, a
 * prosthesis, a day) draws from its own stream derived from the dataset seed,
 * so the data of one prosthesis does not depend on how many others exist or in
 * which order they are generated.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seeds: number[]) {
    let h = 0x9e3779b9;
    for (const seed of seeds) h = mix(h ^ (seed | 0)) ^ mix((seed / 0x1_0000_0000) | 0);
    this.a = mix(h ^ 0x85ebca6b);
    this.b = mix(this.a ^ 0xc2b2ae35);
    this.c = mix(this.b ^ 0x27d4eb2f);
    this.d = mix(this.c ^ 0x165667b1);
    for (let i = 0; i < 12; i += 1) this.uint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A random (version 4) UUID drawn from this stream. */
  uuid(): string {
    const w0 = this.uint32();
    const w1 = (this.uint32() & 0xffff0fff) | 0x00004000;
    const w2 = (this.uint32() & 0x3fffffff) | 0x80000000;
    const w3 = this.uint32();
    return (
      HEX[w0 >>> 24]! +
      HEX[(w0 >>> 16) & 255]! +
      HEX[(w0 >>> 8) & 255]! +
      HEX[w0 & 255]! +
      '-' +
      HEX[w1 >>> 24]! +
      HEX[(w1 >>> 16) & 255]! +
      '-' +
      HEX[(w1 >>> 8) & 255]! +
      HEX[w1 & 255]! +
      '-' +
      HEX[w2 >>> 24]! +
      HEX[(w2 >>> 16) & 255]! +
      '-' +
      HEX[(w2 >>> 8) & 255]! +
      HEX[w2 & 255]! +
      HEX[w3 >>> 24]! +
      HEX[(w3 >>> 16) & 255]! +
      HEX[(w3 >>> 8) & 255]! +
      HEX[w3 & 255]!
    );
  }
}

function mix(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
