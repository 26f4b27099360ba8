// How the dashboard writes numbers, times and sizes, and colours a vertex by how busy it is.

const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

export function count(n: number): string {
  return integer.format(n);
}

export function rate(perSecond: number): string {
  return `${perSecond >= 100 ? integer.format(perSecond) : oneDecimal.format(perSecond)}/s`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${integer.format(ms)} ms`;
  if (ms < 60_000) return `${oneDecimal.format(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${oneDecimal.format(value)} ${units[unit]}`;
}

export function time(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString("en-GB");
}

/** How far event time is behind the wall clock, or why there is no figure. */
export function watermarkLag(watermark: number | null, now: number): string {
  if (watermark === null) return "no watermark";
  if (watermark >= 8.64e15) return "watermark at end";
  return `wm lag ${duration(Math.max(0, now - watermark))}`;
}

/**
 * Flink's vertex colours: idle blue through busy red by busy ms per second; a vertex that spends
 * more of its time backpressured than busy is grey, darker the more it waits. Returns fill and text.
 */
export function busyColour(busyMsPerSecond: number, backPressuredMsPerSecond: number): { fill: string; text: string } {
  const busy = clamp(busyMsPerSecond / 1000);
  const backpressured = clamp(backPressuredMsPerSecond / 1000);
  if (backpressured > busy) {
    const lightness = Math.round(85 - 75 * backpressured);
    return { fill: `hsl(0, 0%, ${lightness}%)`, text: lightness < 50 ? "#fff" : "#111" };
  }
  return { fill: `hsl(${Math.round(210 * (1 - busy))}, 75%, ${Math.round(82 - 22 * busy)}%)`, text: "#111" };
}

function clamp(ratio: number): number {
  return Math.min(1, Math.max(0, ratio));
}
