// Safety telltales: the warning lamps a cluster must show (brake, airbag, seat belt, ...). On an
// AVP platform they belong to the platform's safety function, not to any guest: their state
// comes from the safety domain and their images are fixed here, so no guest can change,
// cover or imitate them. The glyphs are small bitmaps: '#' lit, '.' dark.
import type { Argb } from './resources.ts';

export interface TelltaleDef {
  readonly id: string;
  /** Top-left corner inside the telltale plane. */
  readonly x: number;
  readonly y: number;
  readonly color: Argb;
  readonly glyph: readonly string[];
}

export const RED: Argb = 0xffe53935;
export const AMBER: Argb = 0xffffb300;
export const GREEN: Argb = 0xff43a047;

// #region telltale-set
/** A demonstration set: brake system (red), engine check (amber), seat belt (red), high beam (green). */
export const DEMO_TELLTALES: readonly TelltaleDef[] = [
  { id: 'brake', x: 2, y: 2, color: RED, glyph: ['..###..', '.#...#.', '#..#..#', '#..#..#', '#.....#', '.#..#.#', '..###..'] },
  { id: 'engine', x: 13, y: 2, color: AMBER, glyph: ['.......', '..###..', '#######', '##...##', '#######', '.#...#.', '.......'] },
  { id: 'seatbelt', x: 24, y: 2, color: RED, glyph: ['...#...', '..###..', '.#.#.#.', '...##..', '...#.#.', '..#...#', '.#.....'] },
  { id: 'high-beam', x: 35, y: 2, color: GREEN, glyph: ['.###.##', '#...#..', '#...###', '#...#..', '#...###', '#...#..', '.###.##'] },
];
// #endregion telltale-set
