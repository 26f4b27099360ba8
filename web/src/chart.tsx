// A uPlot chart: created once per set of series, fed new data on every render.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

export interface ChartSeries {
  label: string;
  /** Which y axis: the left one (default) or the right one. */
  axis?: "left" | "right";
  /** Points and bars instead of a line. */
  points?: boolean;
}

export interface ChartProps {
  title: string;
  series: ChartSeries[];
  /** [x values, one array per series]; x is seconds since the epoch when `time`, else any number. */
  data: (number | null)[][];
  time?: boolean;
  yLabel?: string;
  rightLabel?: string;
  width?: number;
}

export function Chart({ title, series, data, time = true, yLabel, rightLabel, width = 540 }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Rebuilt when the series change (key); fed new data by the effect below.
  const key = JSON.stringify(series);

  useEffect(() => {
    const options: uPlot.Options = {
      title,
      width,
      height: 220,
      // Checkpoint ids are whole numbers: half a step of room either side for the bars.
      scales: { x: time ? { time } : { time, range: (_u, min, max) => [min - 0.5, max + 0.5] }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] }, right: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
      axes: [time ? {} : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { label: yLabel, size: 70 }, ...(series.some((s) => s.axis === "right") ? [{ side: 1, scale: "right", label: rightLabel, size: 70, grid: { show: false } }] : [])],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          scale: s.axis === "right" ? "right" : "y",
          points: { show: s.points ?? false, size: 6 },
          paths: s.points ? uPlot.paths.bars?.({ size: [0.5, 24] }) : undefined,
          fill: s.points ? `${PALETTE[i % PALETTE.length]}55` : undefined,
        })),
      ],
    };
    plot.current = new uPlot(options, data as uPlot.AlignedData, host.current!);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [key, width]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div class="chart" ref={host} />;
}
