extension DashboardPage {
    /// `/dashboard.js`: fetches `/api/snapshot`, follows `/api/stream` (Server-Sent Events),
    /// renders each snapshot, refreshes the live tail every second and sends the control
    /// buttons' POSTs, showing the answer (or the reason a request was refused). Group cards
    /// and their buttons stay in place between snapshots (see `updateCard`).
    public static let script = #"""
// RideStream dashboard: reads /api/snapshot, then follows /api/stream (Server-Sent Events),
// and renders each snapshot. Every value from the run is set as text, never as markup.
"use strict";

const state = { snapshot: null, tail: null, tailTimer: null, map: null, topics: 1 };

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
  document.getElementById("seed").textContent = `${grouped(run.drivers)} drivers` + (run.seed == null ? "" : `, seed ${run.seed}`);
  const done = run.happened;
  replace(document.getElementById("scenario"), run.scenario.map((step) => {
    const past = step.at_seconds <= run.simulated_second;
    return el("li", { class: past ? "past" : "future", text: `at ${step.at_seconds} s: ${step.action.replace("_", " ")} in ${step.group}` });
  }).concat(done.map((line) => el("li", { class: "happened", text: line }))));
  document.body.classList.toggle("finished", run.phase === "finished");
}

// A broker shows every topic; a run its one topic. Partitions are named "p3", or "topic p3"
// where more than one topic is shown.
function partitionLabel(p) { return state.topics > 1 ? `${p.topic} p${p.partition}` : `p${p.partition}`; }

function renderBroker(broker, partitions) {
  document.getElementById("phase").textContent = "broker";
  document.getElementById("phase").className = "phase broker";
  document.getElementById("clock").textContent = `watching for ${seconds(broker.wall_seconds)}`;
  document.getElementById("progress").style.width = "0%";
  const events = partitions.reduce((sum, p) => sum + p.log_end - p.log_start, 0);
  document.getElementById("produced").textContent = `${grouped(events)} records in ${broker.topics} topic${broker.topics === 1 ? "" : "s"}`
    + (broker.partitions_not_shown > 0 ? ` (${grouped(broker.partitions_not_shown)} partitions not shown)` : "");
  document.getElementById("speed").textContent = `${broker.groups} group${broker.groups === 1 ? "" : "s"}`
    + (broker.groups_not_shown > 0 ? ` (${grouped(broker.groups_not_shown)} not shown)` : "");
  document.getElementById("seed").textContent = `Kafka port ${broker.address}`;
}

function renderPartitions(partitions) {
  replace(document.querySelector("#partitions tbody"), partitions.map((p) => el("tr", { "data-partition": p.partition, "data-topic": p.topic }, [
    el("td", { text: p.topic }),
    el("td", { text: String(p.partition) }),
    el("td", { text: p.regions.join(", ") || "—" }),
    el("td", { class: "number", text: grouped(p.log_start) }),
    el("td", { class: "number", text: grouped(p.log_end) }),
    el("td", { class: "number", text: grouped(p.events_per_second) }),
  ])));
  const select = document.getElementById("tail-partition");
  const options = JSON.stringify(partitions.map((p) => [p.topic, p.partition]));
  if (select.dataset.options !== options) {
    select.dataset.options = options;
    replace(select, partitions.map((p) => el("option", {
      value: JSON.stringify([p.topic, p.partition]),
      text: p.regions.length ? `partition ${p.partition} (${p.regions.join(", ")})` : `${p.topic} partition ${p.partition}`,
    })));
    if (!state.tail && partitions.length) state.tail = [partitions[0].topic, partitions[0].partition];
    if (state.tail) select.value = JSON.stringify(state.tail);
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
const cards = new Map();  // by group name (a Map: a group may be named "constructor")

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
      view.seconds = el("span", { class: "key seconds", text: "seconds behind (right)" }),
      view.now,
    ]),
    view.chart,
  ]));
  view.writes = el("p", { class: "writes" });
  view.card.appendChild(view.writes);
  return view;
}

// The grid's columns are the group's partitions (a run's: every partition of its topic; a
// broker group's: those it committed or has assigned); a consumer owns the partitions whose
// owner it is.
function rebuildRows(view, group, controllable) {
  const sink = group.events != null;
  replace(view.head, [el("tr", {}, [el("th", { text: "consumer" })]
    .concat(group.partitions.map((p) => el("th", { class: "partition", text: partitionLabel(p) })))
    .concat([el("th", { text: sink ? "stored" : "" }), el("th", { text: "" })]))]);
  const rows = group.consumers.map((c) => {
    const kind = c.state !== "running" ? c.state : c.idle ? "idle" : "active";
    const cells = [el("td", { class: "name", title: c.client || "" }, [el("span", { text: c.id }), el("span", { class: "badge " + kind, text: kind })])];
    for (const p of group.partitions) {
      const owns = c.state === "running" && p.owner === c.id;
      cells.push(el("td", { class: "cell" + (owns ? " owned" : ""), text: owns ? "●" : "" }));
    }
    cells.push(el("td", { class: "number stored" }));
    cells.push(el("td", { class: "actions" }, c.state === "running" && controllable ? [
      el("button", { class: "remove", "data-consumer": c.id, text: "remove", onclick: () => control(group.name, "remove", c.id) }),
      el("button", { class: "crash", "data-consumer": c.id, text: "crash", onclick: () => control(group.name, "crash", c.id) }),
    ] : []));
    return el("tr", { class: "consumer " + kind, "data-consumer": c.id }, cells);
  });
  view.lag = el("tr", { class: "lag" }, [el("td", { text: sink ? "lag (events / s behind)" : "lag (records past the committed offset)" })]
    .concat(group.partitions.map(() => el("td", { class: "cell" })))
    .concat([el("td", {}), el("td", {})]));
  replace(view.body, rows.concat([view.lag]));
}

function updateCard(view, group, controllable) {
  const phase = group.state && group.state !== "Stable" ? group.state : group.stable ? "" : "rebalancing";
  view.generation.textContent = `generation ${group.generation}` + (phase ? `, ${phase}` : "");
  view.generation.className = "generation" + (group.stable ? "" : " rebalancing");
  view.add.disabled = !controllable;
  view.add.hidden = !state.snapshot.run;
  const signature = JSON.stringify([controllable, state.topics, group.partitions.map((p) => [p.topic, p.partition, p.owner]),
    group.consumers.map((c) => [c.id, c.state, c.idle, c.partitions])]);
  if (signature !== view.signature) {
    rebuildRows(view, group, controllable);
    view.signature = signature;
  }
  const rows = view.body.querySelectorAll("tr.consumer");
  if (group.events != null) group.consumers.forEach((c, i) => { if (rows[i]) rows[i].querySelector(".stored").textContent = grouped(c.events); });
  const cells = view.lag.querySelectorAll("td.cell");
  group.partitions.forEach((p, i) => {
    if (!cells[i]) return;
    cells[i].className = "cell" + (p.lag > 0 ? " behind" : "");
    if (p.lag == null) cells[i].textContent = "—";
    else if (group.events == null) cells[i].textContent = formatNumber(p.lag);
    else cells[i].textContent = p.lag > 0 ? `${formatNumber(p.lag)} / ${p.seconds_behind == null ? "?" : Math.round(p.seconds_behind)}s` : "0";
  });
  const series = [{ values: group.history.lag, className: "events", axis: "left" }];
  if (group.events != null) series.push({ values: group.history.seconds_behind, className: "seconds", axis: "right" });
  view.seconds.hidden = group.events == null;
  lineChart(view.chart, group.history.second, series, { xUnit: "s", xMax: state.snapshot.run ? state.snapshot.run.duration_seconds : undefined });
  view.now.textContent = `now: ${grouped(group.lag)} ${group.events == null ? "records" : "events"}`
    + (group.seconds_behind == null ? "" : `, ${Math.round(group.seconds_behind)} s behind`);
  view.writes.hidden = group.events == null;
  if (group.events == null) return;
  const saved = group.transactions > 0 ? group.events / group.transactions : 0;
  replace(view.writes, [
    el("strong", { text: `${grouped(group.events)} events in ${grouped(group.transactions)} transactions` }),
    el("span", { text: group.transactions > 0
      ? ` — a naive app committing each event would have made ${grouped(group.events)}: ${formatNumber(saved)}× fewer writes.`
      : " — nothing stored yet." }),
  ]);
}

function renderGroups(groups, controllable) {
  const container = document.getElementById("groups");
  const names = groups.map((g) => g.name);
  for (const [name, view] of cards) {
    if (!names.includes(name)) { container.removeChild(view.card); cards.delete(name); }
  }
  for (const group of groups) {
    if (!cards.has(group.name)) { cards.set(group.name, createCard(group.name)); container.appendChild(cards.get(group.name).card); }
    updateCard(cards.get(group.name), group, controllable);
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
    r.moves.length ? el("p", { class: "moves", text: r.moves.map((m) => `${m.topic && state.topics > 1 ? m.topic + " " : ""}p${m.partition}: ${m.from || "nobody"} → ${m.to}`).join(", ") }) : null,
  ])));
}

function render(snapshot) {
  state.snapshot = snapshot;
  state.topics = new Set(snapshot.partitions.map((p) => p.topic)).size;
  const run = snapshot.run;
  document.body.classList.toggle("broker", !run);
  document.getElementById("city").hidden = !run;
  document.getElementById("scenario-panel").hidden = !run;
  document.getElementById("topic-title").textContent = run ? "The topic" : "Topics";
  document.getElementById("timeline-clock").textContent = run ? "in simulated time" : "in seconds since the dashboard started; from the coordinator";
  if (run) {
    renderRun(run);
    state.map.draw(snapshot.regions, snapshot.map);
    const sampled = snapshot.map && snapshot.map.sampled > 1 ? ` (1 in ${snapshot.map.sampled} drivers shown)` : "";
    document.getElementById("map-note").textContent = snapshot.map ? `at ${seconds(snapshot.map.simulated_second)}${sampled}` : "waiting for the first tick";
  } else {
    renderBroker(snapshot.broker, snapshot.partitions);
  }
  renderPartitions(snapshot.partitions);
  renderGroups(snapshot.groups, run ? run.controllable : false);
  renderTimeline(snapshot.groups);
}

async function refreshTail() {
  if (!state.tail) return;
  const [topic, partition] = state.tail;
  try {
    const response = await fetch(`/api/topics/${encodeURIComponent(topic)}/partitions/${partition}/tail?limit=15`);
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
  document.getElementById("tail-partition").addEventListener("change", (event) => { state.tail = JSON.parse(event.target.value); refreshTail(); });
  fetch("/api/snapshot").then((r) => (r.ok ? r.json() : null)).then((s) => { if (s) render(s); }).catch(() => {});
  connect();
  refreshTail();
  state.tailTimer = setInterval(refreshTail, 1000);
}

document.addEventListener("DOMContentLoaded", start);
"""#
}
