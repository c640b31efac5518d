/** PNG encoding of RGBA pixels through the `pngjs` package. */
import { PNG } from 'pngjs';

/**
 * Encodes width×height opaque RGBA pixels (row-major, 4 bytes each) as the bytes of an 8-bit RGB PNG file
 * (Sub filter, zlib level 6: a good size for figures at a fraction of pngjs's default search time).
 */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, filterType: 1, deflateLevel: 6 });
}
