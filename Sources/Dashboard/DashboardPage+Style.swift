extension DashboardPage {
    /// `/dashboard.css`: the page's layout and colours (driver statuses, consumer states).
    public static let style = #"""
:root { --ink: #1d2430; --muted: #6b7585; --line: #d9dee6; --paper: #f6f7f9; --card: #fff;
  --available: #2f9e44; --en_route: #f08c00; --on_trip: #1971c2; --offline: #adb5bd; --bad: #c92a2a; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body.broker .progress { display: none; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--ink); background: var(--paper); }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 10px 18px; background: var(--ink); color: #fff; }
header h1 { font-size: 18px; margin: 0 8px 0 0; }
.progress { width: 160px; height: 8px; background: #3b4556; border-radius: 4px; overflow: hidden; }
#progress { height: 100%; width: 0; background: #74c0fc; }
.phase { padding: 1px 8px; border-radius: 10px; background: #495057; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; }
.phase.producing { background: var(--available); } .phase.draining { background: var(--en_route); } .phase.finished { background: var(--on_trip); }
#connection { margin-left: auto; font-size: 12px; } #connection.offline { color: #ffa8a8; } #connection.live { color: #b2f2bb; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 14px; padding: 14px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.panel.wide { grid-column: 1 / -1; }
h2 { font-size: 15px; margin: 0 0 8px; } h2 small { color: var(--muted); font-weight: normal; margin-left: 6px; }
h3 { display: flex; gap: 10px; align-items: center; font-size: 15px; margin: 0 0 6px; }
table { border-collapse: collapse; width: 100%; } th, td { padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: left; }
th { color: var(--muted); font-weight: 600; font-size: 12px; } .number { text-align: right; font-variant-numeric: tabular-nums; }
#map { width: 100%; height: auto; max-height: 560px; background: #eef2f6; border-radius: 6px; }
.region-box { fill-opacity: .12; stroke-width: 1.5; }
.region-0 { fill: #e64980; stroke: #e64980; } .region-1 { fill: #7950f2; stroke: #7950f2; } .region-2 { fill: #15aabf; stroke: #15aabf; }
.region-3 { fill: #82c91e; stroke: #82c91e; } .region-4 { fill: #fab005; stroke: #fab005; } .region-5 { fill: #fd7e14; stroke: #fd7e14; }
.region-name { font-size: 11px; font-weight: 600; fill: var(--ink); } .region-partitions { font-size: 10px; fill: var(--muted); }
.driver { stroke: none; } .driver.available { fill: var(--available); } .driver.en_route { fill: var(--en_route); }
.driver.on_trip { fill: var(--on_trip); } .driver.offline { fill: var(--offline); }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; color: var(--muted); margin: 6px 0 0; }
.key::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; vertical-align: -1px; }
.key.available::before { background: var(--available); } .key.en_route::before { background: var(--en_route); }
.key.on_trip::before { background: var(--on_trip); } .key.offline::before { background: var(--offline); }
.key.events::before { background: #1971c2; border-radius: 0; height: 3px; vertical-align: 3px; }
.key.seconds::before { background: #e8590c; border-radius: 0; height: 3px; vertical-align: 3px; }
#groups { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 14px; }
.group { border: 1px solid var(--line); border-radius: 6px; padding: 10px; }
.generation { color: var(--muted); font-weight: normal; font-size: 12px; } .generation.rebalancing { color: var(--en_route); font-weight: 600; }
button { font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #e7f5ff; } button:disabled { color: #adb5bd; cursor: default; background: #f8f9fa; } button.add { margin-left: auto; } button.crash { color: var(--bad); }
.grid td.cell { text-align: center; } .grid td.owned { color: var(--on_trip); font-size: 16px; }
.grid td.behind { color: var(--bad); font-size: 11px; } .grid tr.lag td { font-size: 11px; color: var(--muted); }
.badge { margin-left: 6px; font-size: 10px; padding: 0 6px; border-radius: 8px; background: #e9ecef; color: var(--muted); text-transform: uppercase; }
.badge.active { background: #d3f9d8; color: #2b8a3e; } .badge.idle { background: #fff3bf; color: #e67700; }
.badge.crashed { background: #ffe3e3; color: var(--bad); }
tr.consumer.stopped td, tr.consumer.crashed td { color: #adb5bd; } tr.consumer.idle td.name span:first-child { font-style: italic; }
.chart { margin-top: 8px; } .lag-chart { width: 100%; height: auto; }
.lag-chart .plot { fill: #fafbfc; stroke: var(--line); } .lag-chart .grid { stroke: #eef0f3; }
.lag-chart .tick { font-size: 9px; fill: var(--muted); } .lag-chart .tick.left { text-anchor: end; } .lag-chart .tick.bottom { text-anchor: middle; }
.lag-chart .series { fill: none; stroke-width: 1.6; } .lag-chart .series.events { stroke: #1971c2; } .lag-chart .series.seconds { stroke: #e8590c; }
.legend .now { margin-left: auto; color: var(--ink); }
.writes { margin: 6px 0 0; font-size: 13px; }
#timeline { list-style: none; padding: 0; margin: 0; max-height: 520px; overflow-y: auto; }
#timeline li { border-left: 3px solid var(--line); padding: 4px 10px; margin-bottom: 6px; }
#timeline li[data-cause*="session timeout"] { border-color: var(--bad); } #timeline li[data-cause*="joined"] { border-color: var(--available); }
#timeline li[data-cause*="left"] { border-color: var(--en_route); }
.when { font-weight: 600; margin-right: 8px; font-variant-numeric: tabular-nums; } .who { color: var(--muted); margin-right: 8px; }
.cause { font-size: 11px; text-transform: uppercase; } .story { margin: 2px 0; } .moves { margin: 0; font-size: 12px; color: var(--muted); }
#scenario { margin: 0 0 6px; padding-left: 18px; } #scenario .future { color: var(--muted); } #scenario .happened { color: var(--on_trip); }
#control-message.refused { color: var(--bad); } #control-message.ok { color: #2b8a3e; }
#tail td.value { font-family: ui-monospace, monospace; font-size: 11px; word-break: break-all; }
#tail-partition { font: inherit; font-size: 12px; margin-left: 8px; }
"""#
}
