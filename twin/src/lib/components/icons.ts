/**
 * The twin's icons: 24×24 stroke drawings (no icon font, no emoji: the shop-floor browser may have
 * neither). Each is a list of SVG path `d` strings drawn with currentColor.
 */
export const icons = {
  running: ['M8 5v14l11-7z'],
  idle: ['M8 5v14', 'M16 5v14'],
  setup: ['M14.7 6.3a4 4 0 0 0-5.4 5.4L3 18l3 3 6.3-6.3a4 4 0 0 0 5.4-5.4l-2.5 2.5-2.4-.6-.6-2.4z'],
  off: ['M12 3v9', 'M6.3 6.3a8 8 0 1 0 11.4 0'],
  starved: ['M3 12h13', 'M12 8l4 4-4 4', 'M20 5v14'],
  blocked: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M5.6 5.6l12.8 12.8'],
  maintenance: ['M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8z', 'M12 2v3', 'M12 19v3', 'M2 12h3', 'M19 12h3', 'M4.9 4.9l2.1 2.1', 'M17 17l2.1 2.1', 'M4.9 19.1L7 17', 'M17 7l2.1-2.1'],
  fault: ['M12 3L2 20h20z', 'M12 9v5', 'M12 17v.5'],
  warn: ['M12 3L2 20h20z', 'M12 9v5', 'M12 17v.5'],
  info: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M12 11v6', 'M12 7.5v.5'],
  nodata: ['M3 3l18 18', 'M8.5 16.5a5 5 0 0 1 7 0', 'M5 13a10 10 0 0 1 5.2-2.8', 'M14.5 10.4A10 10 0 0 1 19 13', 'M2 9.5a15 15 0 0 1 4.6-2.9', 'M11 5a15 15 0 0 1 11 4.5', 'M12 20v.5'],
  alarm: ['M6 16V11a6 6 0 0 1 12 0v5l2 2H4z', 'M10 21h4'],
  live: ['M12 10a2 2 0 1 0 0 4a2 2 0 1 0 0-4z', 'M7.8 7.8a6 6 0 0 0 0 8.4', 'M16.2 7.8a6 6 0 0 1 0 8.4', 'M4.9 4.9a10 10 0 0 0 0 14.2', 'M19.1 4.9a10 10 0 0 1 0 14.2'],
  sun: ['M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8z', 'M12 2v2', 'M12 20v2', 'M2 12h2', 'M20 12h2', 'M4.9 4.9l1.4 1.4', 'M17.7 17.7l1.4 1.4', 'M4.9 19.1l1.4-1.4', 'M17.7 6.3l1.4-1.4'],
  moon: ['M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z'],
  menu: ['M4 6h16', 'M4 12h16', 'M4 18h16'],
  back: ['M15 5l-7 7 7 7'],
  forward: ['M9 5l7 7-7 7'],
  download: ['M12 3v12', 'M7 10l5 5 5-5', 'M4 20h16'],
  refresh: ['M20 11a8 8 0 1 0-2.3 5.7', 'M20 4v7h-7'],
  reset: ['M3 12a9 9 0 1 0 3-6.7', 'M3 3v6h6'],
  user: ['M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8z', 'M4 21a8 8 0 0 1 16 0'],
  logout: ['M9 4H5v16h4', 'M16 8l4 4-4 4', 'M20 12H9'],
  machine: ['M3 20h18', 'M5 20V8h14v12', 'M9 8V4h6v4', 'M8 12h8', 'M8 16h8'],
  check: ['M4 12l5 5L20 6'],
  clock: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M12 7v5l3 3'],
} as const satisfies Record<string, readonly string[]>;

export type IconName = keyof typeof icons;
