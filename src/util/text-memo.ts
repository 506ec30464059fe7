/**
 * What a pure function of a short text gave before, for texts a device sends unchanged in every
 * reply (a nickname, an ssid, a MAC): between network reads, decoding them again costs a poll or a
 * switch microseconds where a lookup costs next to nothing (docs/benchmarks.md). Bounded in number
 * and in length, so a device sending long or ever-changing texts cannot make it grow: texts past
 * `maxLength` are not kept, and the whole memo is cleared when it holds `maxEntries`.
 */
export class TextMemo {
  readonly #results = new Map<string, string>();

  constructor(
    private readonly compute: (text: string) => string,
    private readonly maxEntries = 1024,
    private readonly maxLength = 128,
  ) {}

  get(text: string): string {
    const known = this.#results.get(text);
    if (known !== undefined) return known;
    const result = this.compute(text);
    if (text.length <= this.maxLength) {
      if (this.#results.size >= this.maxEntries) this.#results.clear();
      this.#results.set(text, result);
    }
    return result;
  }
}
