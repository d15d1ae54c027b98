extension DashboardPage {
    /// `/dashboard.js`: fetches `/api/snapshot`, follows `/api/stream` (Server-Sent Events),
    /// renders each snapshot, refreshes the live tail every second and sends the control
    /// buttons' POSTs, showing the answer (or the reason a request was refused). Group cards
    /// and their buttons stay in place between snapshots (see `updateCard`).
    public static let script = #"""
// RideStream dashboard: reads /api/snapshot, then follows /api/stream (Server-Sent Events),
// and renders each snapshot. Every value from the run is set as text, never as markup.
"use strict";

const state = { snapshot: null, tailPartition: 0, tailTimer: null, map: null };

function el(tag, attributes, children) {
  const element = document.createElement(tag);
  for (const key in attributes || {}) {
    if (key === "text") element.textContent = attributes[key];
    else if (key === "onclick") element.addEventListener("click", attributes[key]);
    else element.setAttribute(key, attributes[key]);
  }
  for (const child of children || []) if (child) element.appendChild(child);
  return element;
}

function replace(container, children) {
  while (container.firstChild) container.removeChild(container.firstChild);
  for (const child of children) if (child) container.appendChild(child);
}

function seconds(value) {
  if (value == null || value === undefined) return "?";
  const s = Math.round(value);
  return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : `${s} s`;
}

function grouped(value) { return Number(value).toLocaleString("en-US"); }

function renderRun(run) {
  const percent = run.duration_seconds > 0 ? Math.min(100, (100 * run.simulated_second) / run.duration_seconds) : 0;
  document.getElementById("phase").textContent = run.phase;
  document.getElementById("phase").className = "phase " + run.phase;
  document.getElementById("clock").textContent = `${seconds(run.simulated_second)} of ${seconds(run.duration_seconds)} simulated`;
  document.getElementById("progress").style.width = percent.toFixed(1) + "%";
  document.getElementById("produced").textContent = `${grouped(run.events_in_log)} events in ${run.topic}`;
  document.getElementById("speed").textContent = run.speed ? `${run.speed}× speed` : "unpaced";
  document.getElementById("seed").textContent = `${grouped(run.drivers)} drivers, seed ${run.seed}`;
  const done = run.happened;
  replace(document.getElementById("scenario"), run.scenario.map((step) => {
    const past = step.at_seconds <= run.simulated_second;
    return el("li", { class: past ? "past" : "future", text: `at ${step.at_seconds} s: ${step.action.replace("_", " ")} in ${step.group}` });
  }).concat(done.map((line) => el("li", { class: "happened", text: line }))));
  document.body.classList.toggle("finished", run.phase === "finished");
}

function renderPartitions(partitions) {
  replace(document.querySelector("#partitions tbody"), partitions.map((p) => el("tr", { "data-partition": p.partition }, [
    el("td", { text: String(p.partition) }),
    el("td", { text: p.regions.join(", ") || "—" }),
    el("td", { class: "number", text: grouped(p.log_start) }),
    el("td", { class: "number", text: grouped(p.log_end) }),
    el("td", { class: "number", text: grouped(p.events_per_second) }),
  ])));
  const select = document.getElementById("tail-partition");
  if (select.options.length !== partitions.length) {
    replace(select, partitions.map((p) => el("option", { value: p.partition, text: `partition ${p.partition} (${p.regions.join(", ") || "no region"})` })));
    select.value = String(state.tailPartition);
  }
}

async function control(group, action, consumer) {
  const query = consumer ? `?consumer=${encodeURIComponent(consumer)}` : "";
  const message = document.getElementById("control-message");
  try {
    const response = await fetch(`/api/groups/${encodeURIComponent(group)}/${action}${query}`, { method: "POST", headers: { "X-RideStream-Control": "1" } });
    const body = await response.json();
    message.textContent = response.ok ? body.done : body.error;
    message.className = response.ok ? "ok" : "refused";
  } catch (error) {
    message.textContent = "the dashboard is not answering";
    message.className = "refused";
  }
}

// Group cards stay in the page from one snapshot to the next, so a button is never replaced
// under the pointer: a card's rows are rebuilt only when its consumers, their states or
// partitions change; counts, lag and the chart are updated in place.
const cards = {};

function createCard(name) {
  const view = { signature: "" };
  view.card = el("section", { class: "group", "data-group": name });
  view.generation = el("span", { class: "generation" });
  view.add = el("button", { class: "add", "data-group": name, text: "add consumer", onclick: () => control(name, "add") });
  view.card.appendChild(el("h3", {}, [el("span", { text: name }), view.generation, view.add]));
  view.head = el("thead");
  view.body = el("tbody");
  view.card.appendChild(el("table", { class: "grid" }, [view.head, view.body]));
  view.now = el("span", { class: "now" });
  view.chart = svgElement("svg", { class: "lag-chart", role: "img", "aria-label": `${name} lag over time` });
  view.card.appendChild(el("div", { class: "chart" }, [
    el("div", { class: "legend" }, [
      el("span", { class: "key events", text: "lag, events (left)" }),
      el("span", { class: "key seconds", text: "seconds behind (right)" }),
      view.now,
    ]),
    view.chart,
  ]));
  view.writes = el("p", { class: "writes" });
  view.card.appendChild(view.writes);
  return view;
}

function rebuildRows(view, group, partitionCount, controllable) {
  replace(view.head, [el("tr", {}, [el("th", { text: "consumer" })]
    .concat(Array.from({ length: partitionCount }, (_, p) => el("th", { class: "partition", text: `p${p}` })))
    .concat([el("th", { text: "stored" }), el("th", { text: "" })]))]);
  const rows = group.consumers.map((c) => {
    const kind = c.state !== "running" ? c.state : c.idle ? "idle" : "active";
    const cells = [el("td", { class: "name" }, [el("span", { text: c.id }), el("span", { class: "badge " + kind, text: kind })])];
    for (let p = 0; p < partitionCount; p++) {
      const owns = c.state === "running" && c.partitions.includes(p);
      cells.push(el("td", { class: "cell" + (owns ? " owned" : ""), text: owns ? "●" : "" }));
    }
    cells.push(el("td", { class: "number stored" }));
    cells.push(el("td", { class: "actions" }, c.state === "running" && controllable ? [
      el("button", { class: "remove", "data-consumer": c.id, text: "remove", onclick: () => control(group.name, "remove", c.id) }),
      el("button", { class: "crash", "data-consumer": c.id, text: "crash", onclick: () => control(group.name, "crash", c.id) }),
    ] : []));
    return el("tr", { class: "consumer " + kind, "data-consumer": c.id }, cells);
  });
  view.lag = el("tr", { class: "lag" }, [el("td", { text: "lag (events / s behind)" })]
    .concat(Array.from({ length: partitionCount }, () => el("td", { class: "cell" })))
    .concat([el("td", {}), el("td", {})]));
  replace(view.body, rows.concat([view.lag]));
}

function updateCard(view, group, partitionCount, controllable) {
  view.generation.textContent = group.stable ? `generation ${group.generation}` : `generation ${group.generation}, rebalancing`;
  view.generation.className = "generation" + (group.stable ? "" : " rebalancing");
  view.add.disabled = !controllable;
  const signature = JSON.stringify([partitionCount, controllable, group.consumers.map((c) => [c.id, c.state, c.idle, c.partitions])]);
  if (signature !== view.signature) {
    rebuildRows(view, group, partitionCount, controllable);
    view.signature = signature;
  }
  const rows = view.body.querySelectorAll("tr.consumer");
  group.consumers.forEach((c, i) => { if (rows[i]) rows[i].querySelector(".stored").textContent = grouped(c.events); });
  const cells = view.lag.querySelectorAll("td.cell");
  group.partitions.forEach((p, i) => {
    if (!cells[i]) return;
    cells[i].className = "cell" + (p.lag > 0 ? " behind" : "");
    cells[i].textContent = p.lag > 0 ? `${formatNumber(p.lag)} / ${p.seconds_behind == null ? "?" : Math.round(p.seconds_behind)}s` : "0";
  });
  lineChart(view.chart, group.history.second, [
    { values: group.history.lag, className: "events", axis: "left" },
    { values: group.history.seconds_behind, className: "seconds", axis: "right" },
  ], { xUnit: "s", xMax: state.snapshot.run.duration_seconds });
  view.now.textContent = `now: ${grouped(group.lag)} events` + (group.seconds_behind == null ? "" : `, ${Math.round(group.seconds_behind)} s behind`);
  const saved = group.transactions > 0 ? group.events / group.transactions : 0;
  replace(view.writes, [
    el("strong", { text: `${grouped(group.events)} events in ${grouped(group.transactions)} transactions` }),
    el("span", { text: group.transactions > 0
      ? ` — a naive app committing each event would have made ${grouped(group.events)}: ${formatNumber(saved)}× fewer writes.`
      : " — nothing stored yet." }),
  ]);
}

function renderGroups(groups, partitionCount, controllable) {
  const container = document.getElementById("groups");
  const names = groups.map((g) => g.name);
  for (const name of Object.keys(cards)) {
    if (!names.includes(name)) { container.removeChild(cards[name].card); delete cards[name]; }
  }
  for (const group of groups) {
    if (!cards[group.name]) { cards[group.name] = createCard(group.name); container.appendChild(cards[group.name].card); }
    updateCard(cards[group.name], group, partitionCount, controllable);
  }
}

function renderTimeline(groups) {
  const entries = [];
  for (const g of groups) for (const r of g.timeline) entries.push({ group: g.name, ...r });
  // Newest first: what just happened is at the top.
  entries.sort((a, b) => (b.run_second ?? -1) - (a.run_second ?? -1) || a.group.localeCompare(b.group) || b.generation - a.generation);
  replace(document.getElementById("timeline"), entries.map((r) => el("li", { class: "rebalance", "data-group": r.group, "data-cause": r.cause, "data-generation": r.generation }, [
    el("span", { class: "when", text: r.run_second == null ? "before the first tick" : `${Math.round(r.run_second)} s` }),
    el("span", { class: "who", text: `${r.group} · generation ${r.generation}` }),
    el("span", { class: "cause", text: r.cause }),
    el("p", { class: "story", text: r.story }),
    r.moves.length ? el("p", { class: "moves", text: r.moves.map((m) => `p${m.partition}: ${m.from || "nobody"} → ${m.to}`).join(", ") }) : null,
  ])));
}

function render(snapshot) {
  state.snapshot = snapshot;
  renderRun(snapshot.run);
  state.map.draw(snapshot.regions, snapshot.map);
  const sampled = snapshot.map && snapshot.map.sampled > 1 ? ` (1 in ${snapshot.map.sampled} drivers shown)` : "";
  document.getElementById("map-note").textContent = snapshot.map ? `at ${seconds(snapshot.map.simulated_second)}${sampled}` : "waiting for the first tick";
  renderPartitions(snapshot.partitions);
  renderGroups(snapshot.groups, snapshot.partitions.length, snapshot.run.controllable);
  renderTimeline(snapshot.groups);
}

async function refreshTail() {
  const partition = state.tailPartition;
  try {
    const response = await fetch(`/api/partitions/${partition}/tail?limit=15`);
    const body = await response.json();
    const tbody = document.querySelector("#tail tbody");
    if (!response.ok) { replace(tbody, [el("tr", {}, [el("td", { colspan: 3, text: body.error })])]); return; }
    replace(tbody, body.slice().reverse().map((r) => el("tr", {}, [
      el("td", { class: "number", text: String(r.offset) }),
      el("td", { text: r.key ?? "null" }),
      el("td", { class: "value", text: r.value ?? "null" }),
    ])));
  } catch (error) {
    // The run may be restarting; the next refresh tries again.
  }
}

function connect() {
  const status = document.getElementById("connection");
  const source = new EventSource("/api/stream");
  source.addEventListener("snapshot", (event) => { render(JSON.parse(event.data)); status.textContent = "live"; status.className = "live"; });
  source.onerror = () => { status.textContent = "reconnecting…"; status.className = "offline"; };
}

function start() {
  state.map = new CityMap(document.getElementById("map"));
  document.getElementById("tail-partition").addEventListener("change", (event) => { state.tailPartition = Number(event.target.value); refreshTail(); });
  fetch("/api/snapshot").then((r) => (r.ok ? r.json() : null)).then((s) => { if (s) render(s); }).catch(() => {});
  connect();
  refreshTail();
  state.tailTimer = setInterval(refreshTail, 1000);
}

document.addEventListener("DOMContentLoaded", start);
"""#
}
