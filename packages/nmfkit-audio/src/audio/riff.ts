/**
 * The chunks of a WAV file that decoding needs, and only those, for wavefile to read (./wav.ts).
 *
 * wavefile parses every chunk it knows — 'cue ', 'smpl', 'LIST', 'bext', 'iXML', 'junk', '_PMX' — with counts and
 * lengths taken from the file and never checked against its size: a 76-byte file whose 'cue ' chunk claims 2^32 − 1
 * cue points made it push objects for minutes, into gigabytes (found by fuzzing: fuzz/corpus/wav/regress-*). None of
 * those chunks matters to a decoded signal. So the file is walked here as wavefile walks it (chunk after chunk from
 * byte 12: id, 32-bit size — big-endian in RIFX — and the body padded to an even length; the first chunk of an id
 * counts) and rebuilt from its 'ds64' (RF64's sizes), 'fmt ', 'fact' and 'data' chunks, each cut to the bytes the
 * file really holds. The samples wavefile then reads are the same bytes, wherever the file is well formed.
 */

/** The chunks decoding reads, in the order they are written; 'data' last, so that its end is the file's. */
const KEPT = ['ds64', 'fmt ', 'fact', 'data'] as const;

const ascii = (bytes: Uint8Array, at: number): string => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);

/**
 * `bytes` reduced to the header and the chunks of {@link KEPT}, or `bytes` itself when they are no RIFF, RIFX or
 * RF64 WAVE file (wavefile then refuses them with its own message).
 */
export function decodableChunks(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 12 || ascii(bytes, 8) !== 'WAVE') return bytes;
  const container = ascii(bytes, 0);
  if (container !== 'RIFF' && container !== 'RIFX' && container !== 'RF64') return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = container !== 'RIFX';

  // Where each kept chunk's body starts and how many of its bytes the file holds; its size field as written.
  const found = new Map<string, { start: number; size: number; available: number }>();
  for (let at = 12; at <= bytes.length - 8;) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, littleEndian);
    const padded = size + (size % 2);
    if ((KEPT as readonly string[]).includes(id) && !found.has(id)) {
      found.set(id, { start: at + 8, size, available: Math.min(padded, bytes.length - at - 8) });
    }
    at += 8 + padded;
  }

  const parts: Uint8Array[] = [];
  let total = 12;
  for (const id of KEPT) {
    const chunk = found.get(id);
    if (!chunk) continue;
    const body = bytes.subarray(chunk.start, chunk.start + chunk.available);
    const whole = chunk.available === chunk.size + (chunk.size % 2);
    // A chunk cut short says so in its size; one that is not the last is padded to an even length again.
    const size = whole ? chunk.size : body.length;
    const pad = id !== 'data' && body.length % 2 === 1 ? 1 : 0;
    const header = new Uint8Array(8);
    const headerView = new DataView(header.buffer);
    for (let k = 0; k < 4; k++) header[k] = id.charCodeAt(k);
    headerView.setUint32(4, size, littleEndian);
    parts.push(header, body, new Uint8Array(pad));
    total += 8 + body.length + pad;
  }

  const out = new Uint8Array(total);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(4, total - 8, littleEndian);
  let at = 12;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
