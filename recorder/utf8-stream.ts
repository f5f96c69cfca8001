/**
 * Streaming UTF-8 decoding for terminal byte streams.
 *
 * A pty hands us bytes in whatever chunks the kernel and the network produced, so a multibyte
 * character is routinely split across two chunks. Decoding each chunk on its own would turn
 * both halves into U+FFFD and destroy evidence; this decoder holds the first bytes of an
 * incomplete character and emits the character whole from the later `decode()` call.
 *
 * What must stay true:
 * - Concatenating every `decode()` result and the final `end()` gives exactly what decoding the
 *   concatenated bytes in one go would give (WHATWG UTF-8 decoding, replacement mode).
 * - Invalid bytes (a lone continuation byte, 0xff, an overlong form, a truncated sequence that
 *   is followed by a non-continuation byte) become U+FFFD, one per maximal invalid subpart,
 *   as soon as they are known to be invalid. Nothing throws.
 * - A byte-order mark is kept (`ignoreBOM: true`): the recording must show what the target
 *   sent, and a BOM at the start of a shell's output is data, not framing.
 * - At most 3 bytes are ever held between calls, so memory does not grow with the stream.
 */
export class Utf8StreamDecoder {
  readonly #decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  /**
   * Decodes one chunk. Returns '' when the chunk held only the first bytes of a character;
   * those bytes come out with the next chunk (or as U+FFFD from `end()`).
   */
  decode(chunk: Uint8Array): string {
    return this.#decoder.decode(chunk, { stream: true });
  }

  /**
   * Flushes bytes still held (an incomplete character becomes one U+FFFD) and resets the
   * decoder, so it can be reused for a new stream.
   */
  end(): string {
    return this.#decoder.decode();
  }
}
