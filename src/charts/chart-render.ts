/**
 * A Vega-Lite spec to PNG bytes: compiled to Vega, drawn headless as SVG (renderer 'none', no
 * canvas, no browser), rasterized by resvg with the DejaVu Sans shipped by the dejavu-fonts-ttf
 * package. System fonts are never loaded: the Docker image and CI may have none, and text must
 * show anyway. CPU-bound (a few hundred ms): the bot calls it in a worker (chart-renderer.ts).
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CHART_FONT } from './chart-spec.js';

const require = createRequire(import.meta.url);

/** The TTF files resvg draws text with (regular and bold). */
export const CHART_FONT_FILES: readonly string[] = [
  require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
];

export interface RenderedChart {
  png: Buffer;
  width: number;
  height: number;
}

export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderChartPng(spec: TopLevelSpec): Promise<RenderedChart> {
  const svg = await chartSvg(spec);
  const image = new Resvg(svg, {
    background: 'white',
    font: { fontFiles: [...CHART_FONT_FILES], loadSystemFonts: false, defaultFontFamily: CHART_FONT },
  }).render();
  return { png: image.asPng(), width: image.width, height: image.height };
}
