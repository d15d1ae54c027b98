/// The dashboard page, compiled into the binary so it works offline (no CDN, fonts or map
/// tiles): the HTML here, its style sheet (`DashboardPage+Style`) and its script
/// (`DashboardPage+Script`); the drawing code is `DashboardCharts`.
///
/// Every value the run supplies (topic, consumer names, record keys and values) is set as
/// text (`textContent`), never as markup, so a record cannot inject anything into the page.
public enum DashboardPage {
    public static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RideStream dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard.css">
<script src="/charts.js" defer></script>
<script src="/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>RideStream</h1>
  <span id="phase" class="phase">connecting</span>
  <span id="clock"></span>
  <div class="progress"><div id="progress"></div></div>
  <span id="produced"></span>
  <span id="speed"></span>
  <span id="seed"></span>
  <span id="connection" class="offline">connecting…</span>
</header>
<main>
  <section class="panel" id="city">
    <h2>The city <small>each driver a dot; each region's events go to its partition(s)</small></h2>
    <svg id="map" role="img" aria-label="map of the regions and drivers"></svg>
    <p class="legend">
      <span class="key available">available</span><span class="key en_route">en route</span>
      <span class="key on_trip">on trip</span><span class="key offline">offline</span>
      <span id="map-note"></span>
    </p>
  </section>
  <section class="panel" id="topic">
    <h2><span id="topic-title">The topic</span> <small>partitions, their offsets and append rate</small></h2>
    <table id="partitions">
      <thead><tr><th>topic</th><th>partition</th><th>regions</th><th>log start</th><th>log end</th><th>events/s</th></tr></thead>
      <tbody></tbody>
    </table>
    <div id="scenario-panel">
      <h2>Scenario <small>steps of the configuration, then what happened</small></h2>
      <ul id="scenario"></ul>
      <p id="control-message" aria-live="polite"></p>
    </div>
  </section>
  <section class="panel wide">
    <h2>Consumer groups <small>one partition → one consumer per group; extras idle; every group gets every event</small></h2>
    <div id="groups"></div>
  </section>
  <section class="panel">
    <h2>Rebalance timeline <small id="timeline-clock">in simulated time</small></h2>
    <ol id="timeline"></ol>
  </section>
  <section class="panel">
    <h2>Live tail <select id="tail-partition" aria-label="partition"></select></h2>
    <table id="tail">
      <thead><tr><th>offset</th><th>key</th><th>value</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
</body>
</html>
"""#
}
