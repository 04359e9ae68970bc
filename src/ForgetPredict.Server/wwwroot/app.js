// ForgetPredict web page: picks a model, sends the new task's measured cells (and its features, for a model fitted with
// task features) to /v1/models/{name}/predict and shows the
// HTML report's group chart (the SVG the server draws with the report's code), group table and top-example table; downloads
// the replay set from /v1/models/{name}/replay?format=csv; uploads a matrix (with task feature files) to fit a new model.
// Plain ES2020, no build step, no third-party code.
"use strict";

const $ = id => document.getElementById(id);
const state = { models: [], key: sessionStorage.getItem("fp-api-key") || "" };

// Numbers as the reports print them (Charts.Format / Charts.Percent).
function fmt(v) {
  const a = Math.abs(v);
  const trim = s => s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  let t = v === 0 ? "0"
    : a >= 100 ? v.toFixed(0)
    : a >= 1 ? trim(v.toFixed(2))
    : a >= 0.001 ? trim(v.toFixed(3))
    : a >= 1e-6 ? trim(v.toFixed(6))
    : v.toExponential(2).replace(/\.?0+e/, "e").toUpperCase().replace("E+", "E");
  return t === "-0" ? "0" : t;
}
const pct = (f, d = 0) => (f * 100).toFixed(d) + "%";
const int = n => n.toLocaleString("en-US");

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

// fetch with the API key (when one is set); a problem+json answer becomes an Error carrying its detail.
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.key) headers["Authorization"] = "Bearer " + state.key;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      if (problem && problem.detail) detail = problem.detail;
    } catch (_) { /* not JSON */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response;
}

async function loadModels(preferred) {
  try {
    const list = await (await api("v1/models")).json();
    state.models = list.models;
    const select = $("model");
    select.replaceChildren();
    for (const m of list.models) {
      const option = el("option", m.error ? `${m.name} (unreadable)` : m.name);
      option.value = m.name;
      option.disabled = !!m.error;
      select.append(option);
    }
    if (list.models.length === 0) {
      showError("The store has no models yet: fit one with 'forgetpredict fit ... --out STORE/NAME.fpm' or upload a matrix (POST /v1/models).");
      return;
    }
    const wanted = preferred || new URLSearchParams(location.search).get("model");
    const usable = list.models.filter(m => !m.error);
    const pick = usable.find(m => m.name === wanted) || usable[0];
    if (pick) select.value = pick.name;
    // The buttons stay disabled until there is a model to ask (a click before the list arrives would do nothing).
    $("run").disabled = $("replay").disabled = !pick;
    showError("");
    modelChanged();
  } catch (e) {
    if (e.status === 401) {
      $("key-field").hidden = false;
      showError("This server needs an API key: enter it above (it stays in this browser tab).");
    } else {
      showError("Cannot list the models: " + e.message);
    }
  }
}

function currentModel() {
  return state.models.find(m => m.name === $("model").value);
}

function modelChanged() {
  const m = currentModel();
  const groupBy = $("group-by");
  groupBy.replaceChildren();
  if (!m) return;
  const columns = m.groupColumns || [];
  if (columns.length === 0) {
    const none = el("option", "(no example metadata)");
    none.value = "";
    groupBy.append(none);
  }
  for (const c of columns) {
    const option = el("option", c);
    option.value = c;
    groupBy.append(option);
  }
  groupBy.disabled = columns.length === 0;
  const parts = [`${m.method}${m.rank ? " rank " + m.rank : ""}`, `${int(m.taskCount)} past tasks x ${int(m.exampleCount)} upstream examples`];
  if (typeof m.r2 === "number") parts.push(`training R² ${m.r2.toFixed(3)}`);
  if (m.source) parts.push(`fitted on ${m.source}`);
  $("model-info").textContent = parts.join(" · ");
  featureForm(m.taskFeatures);
}

// The model's task features as a form, per view its prior uses: a number field per numeric column, a text field (with the
// levels the model knows) per categorical column, or one field for an embedding. Filled fields go with the query as
// "taskFeatures", named by the file the model was fitted with; with no measured cell the row is predicted from them alone
// (cold start).
function featureForm(info) {
  const box = $("task-features");
  const fields = $("features-fields");
  fields.replaceChildren();
  box.hidden = !info;
  if (!info) return;
  const views = info.views && info.views.length ? info.views : [info];
  const add = (view, name, input) => {
    input.dataset.feature = name;
    input.dataset.file = fileOf(view);
    input.dataset.kind = view.kind;
    const label = el("label", name + " ");
    label.append(input);
    fields.append(label);
  };
  views.forEach((view, v) => {
    if (view.kind === "embedding") {
      const input = el("input");
      input.id = views.length > 1 ? `feature-embedding-${v}` : "feature-embedding";
      input.placeholder = `${view.width} numbers, comma separated`;
      add(view, views.length > 1 ? `${fileOf(view)} embedding` : "embedding", input);
    } else if (view.kind === "numeric") {
      for (const c of view.columns) {
        const input = el("input");
        input.type = "number";
        input.step = "any";
        input.id = "feature-" + c;
        add(view, c, input);
      }
    } else {
      const levels = new Map();
      for (const c of view.columns) {
        const cut = c.indexOf("=");
        const name = c.slice(0, cut);
        if (!levels.has(name)) levels.set(name, []);
        levels.get(name).push(c.slice(cut + 1));
      }
      for (const [name, values] of levels) {
        const list = el("datalist");
        list.id = "levels-" + name;
        for (const value of values) list.append(Object.assign(el("option"), { value }));
        const input = el("input");
        input.id = "feature-" + name;
        input.setAttribute("list", list.id);
        input.placeholder = values.slice(0, 3).join(", ");
        add(view, name, input);
        fields.append(list);
      }
    }
  });
  const described = views.map(view => `${view.kind} features in ${view.view}`).join(" and ");
  $("features-info").textContent = `This model predicts a new task from its ${described} (${info.chosen}). Fill them to predict before fine-tuning (no measured cell needed); measured cells refine the prediction.`;
}

// The file a view came from: its name without " categories" (a table's text columns are a view of their own).
function fileOf(view) {
  return view.view.replace(/ categories$/, "");
}

// The filled feature fields as the "taskFeatures" object, one entry per file the model was fitted with (a row of columns,
// or an embedding); null when none is filled.
function taskFeatures() {
  const m = currentModel();
  if (!m || !m.taskFeatures || $("task-features").hidden) return null;
  const inputs = [...document.querySelectorAll("#features-fields input")].filter(i => i.value.trim() !== "");
  if (inputs.length === 0) return null;
  const result = {};
  for (const input of inputs) {
    const text = input.value.trim();
    const file = input.dataset.file;
    if (input.dataset.kind === "embedding") {
      const values = text.split(/[\s,]+/).filter(v => v !== "").map(Number);
      if (values.some(v => !Number.isFinite(v))) throw new Error(`The embedding of ${file} must be numbers separated by commas or spaces.`);
      result[file] = values;
    } else {
      result[file] = result[file] || {};
      result[file][input.dataset.feature] = input.dataset.kind === "numeric" ? Number(text) : text;
    }
  }
  return result;
}

// The measured cells as the JSON text of the "observed" object, keeping order and repeats (the server reports repeats
// and unknown ids). Accepts a JSON object, or lines "example,value" / "example<TAB>value" with an optional header.
function observedJson(text) {
  const trimmed = text.trim();
  if (trimmed === "") return "{}";
  if (trimmed.startsWith("{")) {
    try {
      JSON.parse(trimmed);
    } catch (e) {
      throw new Error("The measured cells look like JSON but do not parse: " + e.message);
    }
    return trimmed;
  }
  const pairs = [];
  const lines = trimmed.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const fields = line.split(line.includes("\t") ? "\t" : ",").map(f => f.trim().replace(/^"(.*)"$/, "$1"));
    if (fields.length < 2) throw new Error(`Line ${i + 1}: expected 'example,value', got '${line}'.`);
    const value = Number(fields[1]);
    if (i === 0 && fields[1] !== "" && !Number.isFinite(value)) return; // header
    if (fields[1] === "" || !Number.isFinite(value)) throw new Error(`Line ${i + 1}: '${fields[1]}' is not a number.`);
    pairs.push(JSON.stringify(fields[0]) + ":" + JSON.stringify(value));
  });
  return "{" + pairs.join(",") + "}";
}

function queryBody(extra) {
  const groupBy = $("group-by").value;
  let body = `{"observed":${observedJson($("cells").value)}`;
  if (groupBy) body += `,"groupBy":${JSON.stringify(groupBy)}`;
  if ($("by-index").checked) body += `,"byIndex":true`;
  const features = taskFeatures();
  if (features) body += `,"taskFeatures":${JSON.stringify(features)}`;
  for (const [k, v] of Object.entries(extra)) body += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return body + "}";
}

async function predict(event) {
  event.preventDefault();
  const m = currentModel();
  if (!m) return;
  const button = $("run");
  button.disabled = true;
  $("status").textContent = "predicting…";
  showError("");
  try {
    const top = Number($("top").value || 20);
    const body = queryBody({ top, chart: true });
    const started = performance.now();
    const result = await (await api(`v1/models/${encodeURIComponent(m.name)}/predict`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body,
    })).json();
    render(result);
    $("status").textContent = `answered in ${Math.round(performance.now() - started)} ms`;
  } catch (e) {
    $("results").hidden = true;
    $("status").textContent = "";
    if (e.status === 401) $("key-field").hidden = false;
    showError(e.message);
  } finally {
    button.disabled = false;
  }
}

function render(r) {
  const amount = v => r.predictsProbability ? pct(v) : fmt(v);
  const threshold = r.predictsProbability ? `probability ${r.threshold}`
    : r.binaryMatrix ? `${fmt(r.threshold)} on the training matrix's 0/1 scale (not a probability)`
    : `a loss increase of ${fmt(r.threshold)} nats`;
  const groupName = r.groupBy || "group";

  const findings = $("findings-text");
  findings.replaceChildren();
  const how = r.knownCount === 0
    ? (r.fromTaskFeatures ? "cold start: predicted from the task's features alone." : "no measured cells.")
    : `prediction from ${r.knownCount} measured cells${r.fromTaskFeatures ? " and the task's features" : ""}.`;
  findings.append(el("p", `${r.description}; ${how}`, "sub"));
  if (r.fromTaskFeatures && r.knownCount === 0) {
    findings.append(el("p", "Before fine-tuning: no cell of this task was measured, so this comes from what past tasks with similar features forgot. Measure 10-30 examples of a short pilot run to sharpen it.", "cold"));
  } else if (r.taskAgnostic) {
    findings.append(el("p", "Task-agnostic estimate. No cell of this task was measured, so this is what an average past fine-tune does. Measure 10-30 examples of a short pilot run for a task-specific forecast.", "agnostic"));
  }
  if (r.groups.length > 0) {
    const worst = r.groups[0], best = r.groups[r.groups.length - 1];
    const p = el("p", `Most damaged ${groupName}: `);
    p.append(el("b", worst.name), `, expected ${amount(worst.mean)} (90% interval ${amount(worst.lower)} to ${amount(worst.upper)}); about ${pct(worst.share)} of its ${int(worst.count)} examples${worst.newCount > 0 ? ` (${int(worst.newCount)} new)` : ""} forgotten.`);
    findings.append(p);
    if (r.groups.length > 1) {
      const q = el("p", "Least damaged: ");
      q.append(el("b", best.name), `, ${amount(best.mean)}; ${pct(best.share)} forgotten.`);
      findings.append(q);
    }
  }
  const about = el("p", "About ");
  about.append(el("b", int(Math.round(r.expectedForgotten))), ` of ${int(r.exampleCount)} upstream examples (${pct(r.expectedForgotten / Math.max(r.exampleCount, 1))}) are expected to be forgotten (${r.predictsProbability ? "the sum of their probabilities" : `beyond ${threshold}`}).`);
  findings.append(about);
  if (r.top.length > 0) {
    const t = r.top[0];
    const p = el("p", "Most forgotten example: ");
    p.append(el("b", t.id), `${t.group ? ` (${t.group})` : ""}, ${amount(t.predicted)} ± ${fmt(t.std)}.`);
    findings.append(p);
  }
  for (const w of r.warnings || []) findings.append(el("p", "Note: " + w, "note"));

  // Groups: the report's chart (SVG parsed as XML, never as HTML) and table.
  $("group-section").hidden = r.groups.length === 0;
  $("groups-title").textContent = `Expected damage by ${groupName}`;
  const chart = $("groups");
  chart.replaceChildren();
  if (r.chartSvg) {
    const svg = new DOMParser().parseFromString(r.chartSvg, "image/svg+xml").documentElement;
    if (svg.nodeName === "svg") chart.append(document.importNode(svg, true));
  }
  const groupRows = r.groups.map(g => row([g.name, g.newCount > 0 ? `${int(g.count)} (${int(g.newCount)} new)` : int(g.count), amount(g.mean), `${amount(g.lower)} to ${amount(g.upper)}`, pct(g.share, 1), g.topExamples.join(", ")], [5]));
  $("group-table").tBodies[0].replaceChildren(...groupRows);

  $("top-title").textContent = `The ${r.top.length} examples most likely to be erased`;
  const grouped = r.groups.length > 0;
  for (const th of document.querySelectorAll("#top-examples .group-col")) {
    th.hidden = !grouped;
    th.textContent = groupName;
  }
  const topRows = r.top.map(e => row(grouped
    ? [String(e.rank), e.id, e.group || "-", amount(e.predicted), fmt(e.std), pct(e.probability)]
    : [String(e.rank), e.id, amount(e.predicted), fmt(e.std), pct(e.probability)], grouped ? [1, 2] : [1]));
  $("top-examples").tBodies[0].replaceChildren(...topRows);
  $("footnote").textContent = `Forgetting is the increase of an example's loss after fine-tuning (positive: forgotten). Intervals cover the uncertainty of this task's parameters and the cell noise. ${r.predictsProbability ? "Each prediction is the probability that the example is forgotten, and the expected number forgotten is their sum (no threshold takes part)" : `Threshold for "forgotten": ${threshold} (${r.thresholdRule})`}. Model version ${r.version}.`;
  $("results").hidden = false;
}

function row(cells, left) {
  const tr = el("tr");
  cells.forEach((c, i) => tr.append(el("td", c, left.includes(i) ? "l" : undefined)));
  return tr;
}

async function replay(event) {
  event.preventDefault();
  const m = currentModel();
  if (!m) return;
  const button = $("replay");
  button.disabled = true;
  $("replay-status").textContent = "selecting…";
  showError("");
  try {
    const body = queryBody({ budget: Number($("budget").value || 0), strategy: $("strategy").value });
    const response = await api(`v1/models/${encodeURIComponent(m.name)}/replay?format=csv`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body,
    });
    const csv = await response.text();
    const link = $("replay-download");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    link.download = `${m.name}-replay.csv`;
    link.textContent = link.download;
    link.hidden = false;
    const count = Math.max(csv.trimEnd().split("\n").length - 1, 0);
    const warnings = JSON.parse(response.headers.get("X-Warnings") || "[]");
    $("replay-status").textContent = `${int(count)} examples to replay` + warnings.map(w => ". Note: " + w).join("");
    link.click();
  } catch (e) {
    $("replay-status").textContent = "";
    showError(e.message);
  } finally {
    button.disabled = false;
  }
}

// Uploads a matrix (and the past tasks' feature files, as 'fit --task-features') to POST /v1/models, follows the fit job,
// then selects the new model and says which task features its prior uses (GET /v1/models/{name}).
async function fit(event) {
  event.preventDefault();
  const button = $("fit");
  const status = $("fit-status");
  const name = $("fit-name").value.trim();
  const form = new FormData();
  form.append("file", $("fit-file").files[0]);
  form.append("name", name);
  form.append("method", $("fit-method").value);
  if ($("fit-overwrite").checked) form.append("overwrite", "true");
  for (const file of $("fit-task-features").files) form.append("taskFeatures", file, file.name);
  button.disabled = true;
  $("fit-features").hidden = true;
  status.textContent = "uploading…";
  showError("");
  try {
    let job = await (await api("v1/models", { method: "POST", body: form })).json();
    while (job.state !== "succeeded" && job.state !== "failed") {
      status.textContent = `${job.state}: ${job.stage || "waiting"} ${pct(job.progress || 0)}`;
      await new Promise(resolve => setTimeout(resolve, 300));
      job = await (await api(`v1/jobs/${encodeURIComponent(job.id)}`)).json();
    }
    if (job.state === "failed") throw new Error(`The fit of '${name}' failed: ${job.error}`);
    const model = await (await api(`v1/models/${encodeURIComponent(name)}`)).json();
    status.textContent = `fitted ${model.name}: ${model.method}${model.rank ? " rank " + model.rank : ""}, ${int(model.taskCount)} tasks x ${int(model.exampleCount)} examples`;
    const info = model.taskFeatures;
    const views = info ? (info.views && info.views.length ? info.views : [info]) : [];
    $("fit-features").textContent = info
      ? `Task features: the prior of a new task comes from ${views.map(view => `${view.view} (${view.kind}; ${view.width > 8 ? view.width + " columns" : view.columns.join(", ")})`).join(" and ")}; ${info.chosen}. Fill them above to predict before fine-tuning.`
      : "Fitted without task features: it predicts a new task from its measured cells.";
    await loadModels(name);
    $("fit-features").hidden = false;
  } catch (e) {
    status.textContent = "";
    if (e.status === 401) $("key-field").hidden = false;
    // The API's field is this form's checkbox.
    showError(e.message.replace("send overwrite=true to replace it", "tick \u201creplace\u201d to replace it"));
  } finally {
    button.disabled = false;
  }
}

function loadCellsFile() {
  const file = $("cells-file").files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => { $("cells").value = String(reader.result); };
  reader.onerror = () => showError(`Cannot read ${file.name}.`);
  reader.readAsText(file);
}

document.addEventListener("DOMContentLoaded", () => {
  $("key-field").hidden = !state.key;
  $("api-key").value = state.key;
  $("api-key").addEventListener("change", () => {
    state.key = $("api-key").value.trim();
    sessionStorage.setItem("fp-api-key", state.key);
    loadModels();
  });
  $("model").addEventListener("change", modelChanged);
  $("cells-file").addEventListener("change", loadCellsFile);
  $("query").addEventListener("submit", predict);
  $("replay-form").addEventListener("submit", replay);
  $("fit-form").addEventListener("submit", fit);
  loadModels();
});
