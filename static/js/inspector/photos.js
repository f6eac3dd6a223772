// Photos are shrunk on the phone before they are stored: a 12-megapixel camera JPEG of 5 MB
// becomes ≤ 1600 px and a few hundred KB, so the outbox uploads on a weak signal.

import { sha256Hex } from './util.js';

export const MAX_SIDE = 1600;
export const QUALITY = 0.8;

async function decode(file) {
  if ('createImageBitmap' in window) {
    try {
      // 'from-image' applies the EXIF orientation, so portrait shots stay upright.
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      /* fall through to <img>, which some browsers decode more formats with */
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

// The stamp practice asks for, burnt into the pixels so it travels with every copy of the
// photo: a dark band along the bottom with white text, one line per fact.
function drawStamp(ctx, width, height, lines) {
  const size = Math.max(14, Math.round(Math.min(width, height) / 28));
  const pad = Math.round(size * 0.5);
  const band = lines.length * Math.round(size * 1.3) + pad * 2;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.62)';
  ctx.fillRect(0, height - band, width, band);
  ctx.fillStyle = '#fff';
  ctx.textBaseline = 'top';
  ctx.font = `600 ${size}px sans-serif`;
  lines.forEach((line, i) => {
    ctx.fillText(line, pad, height - band + pad + i * Math.round(size * 1.3), width - pad * 2);
  });
  return band;
}

// File → {blob, width, height, sha256, original_sha256, stamp_height}; sha256 is over exactly
// the stored (uploaded) bytes, original_sha256 over the camera's file before shrinking and
// stamping, so the original can later be matched if it is produced.
export async function downscale(file, stampLines = null, originalSha = null) {
  const original_sha256 = originalSha || await sha256Hex(file);
  const image = await decode(file);
  const w0 = image.width, h0 = image.height;
  if (!w0 || !h0) throw new Error('无法读取这张照片');
  const ratio = Math.min(1, MAX_SIDE / Math.max(w0, h0));
  const width = Math.max(1, Math.round(w0 * ratio));
  const height = Math.max(1, Math.round(h0 * ratio));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; // transparent PNGs would turn black in JPEG
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, width, height);
  image.close?.();
  const stamp_height = stampLines?.length ? drawStamp(ctx, width, height, stampLines) : 0;
  const blob = await new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('照片压缩失败'))), 'image/jpeg', QUALITY));
  canvas.width = canvas.height = 0; // release the bitmap memory at once on low-end phones
  return { blob, width, height, sha256: await sha256Hex(blob), original_sha256, stamp_height };
}

export async function blobToBase64(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
