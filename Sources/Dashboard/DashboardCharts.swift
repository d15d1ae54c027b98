/// The dashboard's drawing code, small and without a library (none can be fetched here): a
/// line chart with a left and a right axis (`lineChart`, the lag charts) and the city map
/// (`CityMap`: the regions' boxes to scale and a dot per driver). Served as `/charts.js`.
public enum DashboardCharts {
    public static let script = #"""
// RideStream dashboard: the small SVG drawing code (no library): line charts and the city map.
"use strict";
const SVG_NS = "http://www.w3.org/2000/svg";

function svgElement(name, attributes, parent) {
  const element = document.createElementNS(SVG_NS, name);
  for (const key in attributes) element.setAttribute(key, attributes[key]);
  if (parent) parent.appendChild(element);
  return element;
}

// A round step for an axis covering 0..max with about `ticks` ticks.
function niceStep(max, ticks) {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function formatNumber(value) {
  if (value >= 1e6) return (value / 1e6).toFixed(value >= 1e7 ? 0 : 1) + "M";
  if (value >= 1e4) return (value / 1e3).toFixed(0) + "k";
  return String(Math.round(value * 10) / 10);
}

// Draws series sharing one x axis into `svg` (its content is replaced).
// series: [{values: [number|null], label, className, axis: "left"|"right"}]; x: [number].
// The svg's data-points attribute says how many points were drawn.
function lineChart(svg, x, series, options) {
  const width = 460, height = 150, left = 44, right = 44, top = 10, bottom = 24;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const xMin = x.length ? x[0] : 0;
  const xMax = Math.max(xMin + 1, x.length ? x[x.length - 1] : 1, options.xMax || 0);
  const scaleX = (value) => left + ((value - xMin) / (xMax - xMin)) * plotWidth;
  const axes = {};
  for (const side of ["left", "right"]) {
    let max = 0;
    for (const s of series) if ((s.axis || "left") === side) for (const v of s.values) if (v !== null && v > max) max = v;
    const step = niceStep(max, 4);
    axes[side] = { max: Math.max(step, Math.ceil(max / step) * step), step };
  }
  const scaleY = (value, side) => top + plotHeight - (value / axes[side].max) * plotHeight;
  svgElement("rect", { x: left, y: top, width: plotWidth, height: plotHeight, class: "plot" }, svg);
  for (let v = 0; v <= axes.left.max + 1e-9; v += axes.left.step) {
    const y = scaleY(v, "left");
    svgElement("line", { x1: left, x2: left + plotWidth, y1: y, y2: y, class: "grid" }, svg);
    svgElement("text", { x: left - 4, y: y + 3, class: "tick left" }, svg).textContent = formatNumber(v);
  }
  if (series.some((s) => s.axis === "right")) {
    for (let v = 0; v <= axes.right.max + 1e-9; v += axes.right.step) {
      svgElement("text", { x: left + plotWidth + 4, y: scaleY(v, "right") + 3, class: "tick right" }, svg).textContent = formatNumber(v);
    }
  }
  const xStep = niceStep(xMax - xMin, 5);
  for (let v = Math.ceil(xMin / xStep) * xStep; v <= xMax + 1e-9; v += xStep) {
    svgElement("text", { x: scaleX(v), y: height - 8, class: "tick bottom" }, svg).textContent = formatNumber(v) + (options.xUnit || "");
  }
  let drawn = 0;
  for (const s of series) {
    const points = [];
    s.values.forEach((v, i) => { if (v !== null && v !== undefined) points.push(`${scaleX(x[i]).toFixed(1)},${scaleY(v, s.axis || "left").toFixed(1)}`); });
    drawn = Math.max(drawn, points.length);
    svgElement("polyline", { points: points.join(" "), class: "series " + s.className }, svg);
  }
  svg.setAttribute("data-points", String(drawn));
}

// The city map: the regions' boxes to scale (longitude shrunk by the cosine of the latitude),
// each labelled with its partitions, and one dot per driver coloured by status.
function CityMap(svg) {
  this.svg = svg;
  this.regionsKey = "";
  this.dots = [];
}

CityMap.prototype.draw = function (regions, map) {
  const key = JSON.stringify(regions);
  if (key !== this.regionsKey) this.layout(regions, key);
  if (!map) return;
  const layer = this.dotLayer;
  while (this.dots.length < map.lat.length) this.dots.push(svgElement("circle", { r: 2.2 }, layer));
  while (this.dots.length > map.lat.length) layer.removeChild(this.dots.pop());
  for (let i = 0; i < map.lat.length; i++) {
    const [x, y] = this.project(map.lat[i], map.lon[i]);
    const dot = this.dots[i];
    dot.setAttribute("cx", x.toFixed(1));
    dot.setAttribute("cy", y.toFixed(1));
    dot.setAttribute("class", "driver " + map.statuses[map.status[i]]);
  }
  this.svg.setAttribute("data-drivers", String(map.lat.length));
};

CityMap.prototype.layout = function (regions, key) {
  const svg = this.svg;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  this.dots = [];
  this.regionsKey = key;
  let [minLat, maxLat, minLon, maxLon] = [90, -90, 180, -180];
  for (const r of regions) {
    minLat = Math.min(minLat, r.box[0]); maxLat = Math.max(maxLat, r.box[1]);
    minLon = Math.min(minLon, r.box[2]); maxLon = Math.max(maxLon, r.box[3]);
  }
  const shrink = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max(1e-6, (maxLon - minLon) * shrink), spanY = Math.max(1e-6, maxLat - minLat);
  const width = 640, pad = 28;
  const scale = (width - 2 * pad) / spanX;
  const height = Math.round(spanY * scale + 2 * pad);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  this.project = (lat, lon) => [pad + (lon - minLon) * shrink * scale, pad + (maxLat - lat) * scale];
  regions.forEach((r, index) => {
    const [x0, y0] = this.project(r.box[1], r.box[2]);
    const [x1, y1] = this.project(r.box[0], r.box[3]);
    const group = svgElement("g", { class: "region", "data-region": r.name }, svg);
    svgElement("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0, class: "region-box region-" + (index % 6) }, group);
    svgElement("text", { x: x0 + 4, y: y0 - 14, class: "region-name" }, group).textContent = r.name;
    const label = r.partitions.length === 1 ? "partition " + r.partitions[0] : "partitions " + r.partitions.join(", ");
    svgElement("text", { x: x0 + 4, y: y0 - 3, class: "region-partitions" }, group).textContent = label;
  });
  this.dotLayer = svgElement("g", { class: "drivers" }, svg);
};
"""#
}
