// What the model's rear-view sensor sees: a synthetic, deterministic picture (sky, a wall, the
// ground with the parking guide lines a rear-view display draws, and a ball that rolls across
// frame by frame), in RGB24 or GREY. A real platform reads an image sensor through its ISP.
import { V4L2_PIX_FMT_GREY } from './v4l2.ts';

type Rgb = readonly [number, number, number];
const SKY: Rgb = [120, 170, 220];
const WALL: Rgb = [150, 140, 130];
const GROUND: Rgb = [70, 70, 75];
const GREEN: Rgb = [40, 200, 80];
const YELLOW: Rgb = [240, 200, 40];
const RED: Rgb = [220, 50, 40];
const BALL: Rgb = [250, 120, 20];

/** The colour of point (x, y) in a unit square, at frame `n`. */
function pixel(x: number, y: number, n: number): Rgb {
  const bx = 0.2 + ((n * 0.02) % 0.6);
  if ((x - bx) ** 2 + ((y - 0.72) * 1.3) ** 2 < 0.006) return BALL;
  if (y < 0.3) return SKY;
  if (y < 0.45) return WALL;
  // Guide lines converge towards the horizon: x = 0.5 +- (0.15 + 0.35 * depth).
  const depth = (y - 0.45) / 0.55;
  const half = 0.12 + 0.3 * depth;
  const line = Math.abs(Math.abs(x - 0.5) - half) < 0.025;
  if (line) return depth > 0.7 ? RED : depth > 0.35 ? YELLOW : GREEN;
  return GROUND;
}

// #region render
/** Frame `n` of the scene, `width` x `height`, as RGB24 (3 bytes a pixel) or GREY (1 byte). */
export function renderScene(width: number, height: number, pixelformat: number, n: number): Uint8Array {
  const grey = pixelformat === V4L2_PIX_FMT_GREY;
  const out = new Uint8Array(width * height * (grey ? 1 : 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel((x + 0.5) / width, (y + 0.5) / height, n);
      const i = y * width + x;
      if (grey) out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      else out.set([r, g, b], i * 3);
    }
  }
  return out;
}
// #endregion render
