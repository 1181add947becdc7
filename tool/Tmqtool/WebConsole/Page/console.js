// The tmqtool console page: polls /api/state, draws every service, consumer and instance, and
// sends the pause, resume and replay actions after a confirmation. Text from the broker is only
// ever set as text, never parsed as HTML.
"use strict";

const refreshMs = 2000;
const colors = ["#2f6fdb", "#d9822b", "#2e9e5b", "#b23bb5", "#c0392b", "#6a7180", "#1a9aa8", "#8c6d1f"];
const svgNs = "http://www.w3.org/2000/svg";
let pending = null;

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function number(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
}

function ago(seconds) {
  return seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
}

function outcomes(map) {
  const parts = Object.entries(map || {}).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${number(v)}`);
  return parts.length ? parts.join(", ") : "none yet";
}

function chart(history, windowSeconds, now, system) {
  const width = 720, height = 140, pad = 28;
  const box = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img" });
  const times = history.times || [];
  const series = history.series || [];
  const label = system === "nsq" ? "depth per nsqd" : "lag per partition";
  const title = svg("title", {});
  title.textContent = `${label}, last ${Math.round(windowSeconds / 60)} min`;
  box.append(title);
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  const top = max > 0 ? max : 1;
  // The span shown grows with the history, from one minute up to the window.
  const spanMs = Math.min(windowSeconds * 1000, Math.max(60000, times.length ? now - times[0] : 0));
  const x = t => pad + (width - 2 * pad) * (1 - Math.min(1, Math.max(0, (now - t) / spanMs)));
  const y = v => height - pad + (pad * 2 - height) * (v / top);
  box.append(svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: "#c7ccd6" }));
  const maxLabel = svg("text", { x: 2, y: pad - 8, "font-size": 11, fill: "#6a7180" });
  maxLabel.textContent = number(max);
  const zero = svg("text", { x: 2, y: height - pad + 4, "font-size": 11, fill: "#6a7180" });
  zero.textContent = "0";
  const span = svg("text", { x: pad, y: height - 8, "font-size": 11, fill: "#6a7180" });
  span.textContent = `${label} · last ${spanMs < 90000 ? `${Math.round(spanMs / 1000)} s` : `${Math.round(spanMs / 60000)} min`}`;
  box.append(maxLabel, zero, span);
  series.forEach((s, i) => {
    const points = [];
    s.values.forEach((v, j) => { if (v !== null) points.push(`${x(times[j]).toFixed(1)},${y(v).toFixed(1)}`); });
    if (points.length === 0) return;
    const line = svg(points.length === 1 ? "circle" : "polyline", points.length === 1
      ? { cx: points[0].split(",")[0], cy: points[0].split(",")[1], r: 2.5, fill: colors[i % colors.length] }
      : { points: points.join(" "), fill: "none", stroke: colors[i % colors.length], "stroke-width": 1.6 });
    box.append(line);
  });
  const legend = el("div", { class: "legend" }, series.length === 0 ? "no points yet" : series.map((s, i) => [swatch(colors[i % colors.length]), ` ${s.name} `]));
  return el("div", {}, box, legend);
}

function swatch(color) {
  const box = svg("svg", { width: 10, height: 10, viewBox: "0 0 10 10" });
  box.append(svg("rect", { width: 10, height: 10, fill: color }));
  return box;
}

function consumerState(consumer) {
  if (consumer.live === 0) return ["no live instance", "gone"];
  if (consumer.instances.some(i => i.state === "live" && i.fault)) return ["failed", "failed"];
  return consumer.paused ? ["paused", "paused"] : ["consuming", "consuming"];
}

function ask(text, action) {
  pending = action;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm").returnValue = "";
  document.getElementById("confirm").showModal();
}

async function act(path, body, what) {
  try {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Tmq-Console": "1" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ ok: false, message: `HTTP ${response.status}` }));
    if (!answer.ok) showProblem(`${what} failed: ${answer.message}`);
  } catch (e) {
    showProblem(`${what} failed: ${e}`);
  }
  await refresh();
}

function showProblem(text) {
  const problem = document.getElementById("problem");
  problem.textContent = text;
  problem.hidden = !text;
}

function renderConsumer(service, consumer, state) {
  const [stateText, stateClass] = consumerState(consumer);
  const pause = el("button", { "data-action": "pause", disabled: consumer.live === 0 || consumer.paused }, "Pause");
  pause.addEventListener("click", () => ask(`Pause consumer ${consumer.name} of ${service.service} on every instance? It stops fetching and finishes what it holds.`,
    () => act("/api/pause", { service: service.service, consumer: consumer.name }, `Pause ${service.service}/${consumer.name}`)));
  const resume = el("button", { "data-action": "resume", disabled: consumer.live === 0 || !consumer.instances.some(i => i.state === "live" && i.paused) }, "Resume");
  resume.addEventListener("click", () => ask(`Resume consumer ${consumer.name} of ${service.service} on every instance?`,
    () => act("/api/resume", { service: service.service, consumer: consumer.name }, `Resume ${service.service}/${consumer.name}`)));
  const waiting = consumer.deadLettersWaiting;
  const unknown = consumer.deadLettersUnknown;
  const replay = el("button", { "data-action": "replay", disabled: !consumer.deadLetterTopic || (!waiting && !unknown) }, "Replay dead letters");
  replay.addEventListener("click", () => ask(`Replay the ${unknown ? "(uncounted)" : number(waiting)} message(s) waiting in ${consumer.deadLetterTopic} to the topics they failed on? Fix the cause first, or they fail again.`,
    () => act("/api/replay", { topic: consumer.deadLetterTopic }, `Replay ${consumer.deadLetterTopic}`)));

  const rows = consumer.instances.map(i => el("tr", { "data-instance": i.instance },
    el("td", {}, i.instance),
    el("td", {}, el("span", { class: `badge ${i.state}` }, i.state), i.state === "live" && i.paused ? el("span", { class: "badge paused" }, "paused") : null),
    el("td", {}, i.version || "–"),
    el("td", { class: "n" }, number(i.assigned)),
    el("td", { class: "n" }, number(i.backlog)),
    el("td", { class: "n" }, number(i.inFlight)),
    el("td", { class: "n" }, number(i.buffered)),
    el("td", {}, outcomes(i.outcomes)),
    el("td", {}, Object.entries(i.control || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "–"),
    el("td", {}, `${ago(i.lastReportSeconds)} ago`)));
  const kafka = consumer.system !== "nsq";
  return el("div", { class: "consumer", "data-service": service.service, "data-consumer": consumer.name },
    el("h3", {}, `${consumer.name}`, el("span", { class: `badge ${stateClass}`, "data-role": "state" }, stateText),
      el("span", { class: "quiet" }, `${consumer.system} · topic ${consumer.topic} · ${kafka ? "group" : "channel"} ${consumer.group} · ${consumer.live} live instance(s)`),
      pause, resume),
    el("p", {}, "Dead letters: ",
      el("strong", { "data-role": "dead-letters" }, !consumer.deadLetterTopic ? "no dead-letter topic reported"
        : unknown ? `unknown in ${consumer.deadLetterTopic} (${unknown})`
        : `${number(waiting)} waiting in ${consumer.deadLetterTopic}`),
      ` · ${number(consumer.deadLettered)} dead-lettered by the instances listed `, replay),
    chart(consumer.history, state.windowSeconds, state.now, consumer.system),
    el("table", {},
      el("thead", {}, el("tr", {}, ["instance", "state", "version", kafka ? "partitions" : "nsqd", kafka ? "lag" : "depth", "in flight", "buffered", "outcomes", "control", "last report"]
        .map((h, n) => el("th", { class: n >= 3 && n <= 6 ? "n" : null }, h)))),
      el("tbody", {}, rows)));
}

function render(state) {
  document.getElementById("broker").textContent = state.broker;
  document.getElementById("updated").textContent = state.lastReport ? `last report ${ago((state.now - state.lastReport) / 1000)} ago` : "no report yet";
  showProblem(state.brokerError || "");
  const services = document.getElementById("services");
  if (state.services.length > 0) {
    services.replaceChildren(...state.services.map(service => el("section", { class: "service", "data-service": service.service },
      el("h2", {}, service.service),
      el("p", { class: "quiet" }, service.owner ? `owner ${service.owner}` : "no owner (set Tmq:Owner:Name)",
        service.alertReceivers.length ? ` · alerts to ${service.alertReceivers.join(", ")}` : ""),
      service.consumers.map(c => renderConsumer(service, c, state)))));
  }
  document.getElementById("notes").replaceChildren(...state.notes.map(n => el("li", {}, `${new Date(n.at).toLocaleTimeString()} ${n.text}`)));
}

let refreshing = false;

async function refresh() {
  // One request at a time: a slow answer must not be overtaken by an older one.
  if (refreshing) return;
  refreshing = true;
  try {
    const response = await fetch("/api/state", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) {
      showProblem(`The console answered ${response.status}: ${await response.text()}`);
      return;
    }
    render(await response.json());
  } catch (e) {
    showProblem(`The console cannot be reached (${e}); is tmqtool console still running?`);
  } finally {
    refreshing = false;
  }
}

document.getElementById("confirm-ok").addEventListener("click", () => document.getElementById("confirm").close("ok"));
document.getElementById("confirm-cancel").addEventListener("click", () => document.getElementById("confirm").close("cancel"));
document.getElementById("confirm").addEventListener("close", () => {
  const action = pending;
  pending = null;
  if (document.getElementById("confirm").returnValue === "ok" && action) action();
});
refresh();
setInterval(refresh, refreshMs);
