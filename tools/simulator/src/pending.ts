import type { SimMessage } from './dialects.ts';

/** Messages waiting for their time, earliest first (ties in insertion order): a binary min-heap. */
export class PendingMessages {
  #heap: { m: SimMessage; seq: number }[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(m: SimMessage): void {
    const heap = this.#heap;
    heap.push({ m, seq: this.#seq++ });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns up to `max` messages whose time is at or before `now`. */
  takeDue(now: number, max: number): SimMessage[] {
    const out: SimMessage[] = [];
    while (out.length < max) {
      const top = this.#heap[0];
      if (!top || top.m.at > now) break;
      out.push(top.m);
      const last = this.#heap.pop();
      if (last && this.#heap.length > 0) {
        this.#heap[0] = last;
        this.#sinkFromTop();
      }
    }
    return out;
  }

  #sinkFromTop(): void {
    const n = this.#heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.#less(l, best)) best = l;
      if (r < n && this.#less(r, best)) best = r;
      if (best === i) return;
      this.#swap(i, best);
      i = best;
    }
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a];
    const y = this.#heap[b];
    if (!x || !y) return false;
    return x.m.at < y.m.at || (x.m.at === y.m.at && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const x = heap[a];
    const y = heap[b];
    if (!x || !y) return;
    heap[a] = y;
    heap[b] = x;
  }
}
