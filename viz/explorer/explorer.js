// circuitgrad explorer: lays out and draws one view of the graph (the whole graph, or the inside of one
// module) as a CS231n circuit, and replays the forward and backward walks stored in the page's JSON.
// No library, no network: the page must work from a file and inside an exported notebook.
(function () {
  "use strict";
  var M = JSON.parse(document.getElementById("cg-data").textContent);
  var PAGE = M.attention && Object.keys(M.attention).length ? "<!DOCTYPE html>" + document.documentElement.outerHTML : "";
  // Every word the page shows, in the language it was made in (viz/locales/<lang>.json), through tr().
  var TEXT = JSON.parse(document.getElementById("cg-strings").textContent);
  function tr(key, params) {
    var s = TEXT["explorer." + key];
    if (s === undefined) return key;
    return s.replace(/\{(\w+)\}/g, function (m, name) { return params && name in params ? String(params[name]) : m; });
  }
  var NS = "http://www.w3.org/2000/svg", P = M.precision;
  var $ = function (id) { return document.getElementById(id); };
  var svg = $("cg-svg"), world = $("cg-world"), stage = $("cg-stage"), tip = $("cg-tip");
  var R = 15, GAP_X = 34, GAP_Y = 16, MIN_WIRE = 56, STUB = 28;
  // ---- numbers: graph_view.format_number, digit for digit -------------------------------------
  // Python rounds a float's exact binary value half to even; JavaScript's toFixed/toPrecision round
  // half up. toPrecision(100) gives the exact decimal digits of every double a wire shows in fixed
  // notation (and enough to see a tie elsewhere), so the rounding is done here on those digits.
  function exactDigits(x) {  // |x| > 0 as {d: "digits", e: power of ten of the first digit}
    var s = Math.abs(x).toPrecision(100), e, m = s.indexOf("e");
    var mant = m < 0 ? s : s.slice(0, m), dot = mant.indexOf(".");
    var digits = mant.replace(".", ""), lead = digits.search(/[1-9]/);
    e = (dot < 0 ? mant.length : dot) - 1 - lead + (m < 0 ? 0 : +s.slice(m + 1));
    return { d: digits.slice(lead), e: e };
  }
  // The first `n` digits of d rounded half to even on the rest; returns {d, e} (e grows on a carry).
  function roundDigits(x, n) {
    if (n <= 0) {  // rounding to a position left of the first digit: 0, or one unit when above half
      var q = exactDigits(x), half = n === 0 && (q.d[0] > "5" || q.d[0] === "5" && /[1-9]/.test(q.d.slice(1)));
      return half ? { d: "1", e: q.e + 1 } : { d: "", e: q.e };
    }
    var p = exactDigits(x), d = p.d;
    while (d.length < n + 1) d += "0";
    var keep = d.slice(0, n), rest = d.slice(n);
    var up = rest[0] > "5" || rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || (+keep[n - 1]) % 2 === 1);
    if (!up) return { d: keep, e: p.e };
    var a = keep.split(""), k = n - 1;
    while (k >= 0 && a[k] === "9") { a[k] = "0"; k--; }
    if (k < 0) return { d: "1" + a.join("").slice(0, n - 1), e: p.e + 1 };
    a[k] = String(+a[k] + 1);
    return { d: a.join(""), e: p.e };
  }
  function fixed(x, f) {  // x with f decimals, half to even: Python's "%.{f}f"
    var r = roundDigits(x, exactDigits(x).e + 1 + f);
    var digits = r.d, intLen = r.e + 1, s;
    if (!digits) return (x < 0 ? "-" : "") + (f ? "0." + "0".repeat(f) : "0");
    if (intLen <= 0) { digits = "0".repeat(1 - intLen) + digits; intLen = 1; }
    while (digits.length < intLen + f) digits += "0";
    s = digits.slice(0, intLen) + (f ? "." + digits.slice(intLen, intLen + f) : "");
    return (x < 0 ? "-" : "") + s;
  }
  function trimZeros(s) { return s.indexOf(".") >= 0 ? s.replace(/0+$/, "").replace(/\.$/, "") : s; }
  function formatNumber(x, precision) {
    if (x !== x) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (x === 0) return "0";
    var size = Math.abs(x), sign = x < 0 ? "-" : "";
    if (size >= 1e-3 && size < 1) {  // %g with max(precision, 1) significant digits
      var p = Math.max(precision, 1), r = roundDigits(x, p);
      if (r.e >= -4 && r.e < p) return trimZeros(fixed(x, Math.max(p - 1 - r.e, 0)));
    }
    if (size >= 1 && size < 1e6) return trimZeros(fixed(x, precision));
    var q = Math.max(precision - 1, 0), m = roundDigits(x, q + 1);
    var mant = m.d.slice(0, 1) + (q ? "." + m.d.slice(1) : "");
    return sign + trimZeros(mant) + "e" + m.e;
  }

  function summary(x) { return formatNumber(x, P); }

  // ---- the data: base64 typed arrays (see explore.page_model) -----------------------------------
  function column(b64, Type) {
    var s = atob(b64), bytes = new Uint8Array(s.length);
    for (var k = 0; k < s.length; k++) bytes[k] = s.charCodeAt(k);
    return new Type(bytes.buffer);
  }
  var D = M.nodes, COUNT = D.count, ROOT = COUNT - 1;
  var OP = column(D.op, Int32Array), NAME = column(D.name, Int32Array), FLAGS = column(D.flags, Uint8Array);
  var PSTART = column(D.parentStart, Int32Array), PARENTS = column(D.parents, Int32Array);
  var GROUP = column(D.group, Int32Array), VALUE = column(D.value, Float64Array), SEED = column(D.seed, Float64Array)[0];
  var TENSOR = M.tensors, OPS = M.ops;
  var G = M.groups.map(function (g) { return { title: g[0], parent: g[1] < 0 ? null : g[1], tip: M.tips[g[2]] }; });
  var N = [];
  for (var i0 = 0; i0 < COUNT; i0++) {
    var t0 = TENSOR[i0];
    N.push({ name: NAME[i0] < 0 ? "" : M.names[NAME[i0]], op: OP[i0] < 0 ? "" : OPS[OP[i0]][0],
             parents: Array.prototype.slice.call(PARENTS.subarray(PSTART[i0], PSTART[i0 + 1])),
             group: GROUP[i0] < 0 ? null : GROUP[i0], root: i0 === ROOT, needsGrad: !!(FLAGS[i0] & 1),
             "const": !!(FLAGS[i0] & 2), scalar: !!(FLAGS[i0] & 4), shape: t0 ? t0.shape : null });
  }
  var valueCache = {};
  function valueText(i) {
    if (!N[i].scalar) return TENSOR[i].value;
    if (valueCache[i] === undefined) valueCache[i] = summary(VALUE[i]);
    return valueCache[i];
  }
  // How a caption calls a node: its label, else its gate in brackets, else what kind of leaf it is.
  function callName(i) { var n = N[i]; return n.name || (n.op ? "[" + n.op + "]" : (n["const"] ? tr("const") : tr("input"))); }

  // ---- the backward walk: which gate sends what to whom, and the running sums --------------------
  var S = M.steps, STEPS = S.count, GATE = column(S.gate, Int32Array), SSTART = column(S.sendStart, Int32Array);
  var SENDTO = column(S.sendTo, Int32Array), SEND = column(S.send, Float64Array), TSEND = S.tensorSends;
  var SENDS = SENDTO.length, TOTAL = new Float64Array(SENDS), STEPOF = new Int32Array(SENDS);
  var running = new Float64Array(COUNT), reached = new Uint8Array(COUNT), lastSend = new Int32Array(COUNT).fill(-1);
  var firstSend = new Int32Array(COUNT).fill(-1);
  running[ROOT] = SEED; reached[ROOT] = 1;
  for (var s0 = 0; s0 < STEPS; s0++) {
    for (var k0 = SSTART[s0]; k0 < SSTART[s0 + 1]; k0++) {
      var p0 = SENDTO[k0];
      running[p0] = reached[p0] ? running[p0] + SEND[k0] : SEND[k0];  // the engine's order, so the same sums
      reached[p0] = 1; TOTAL[k0] = running[p0]; STEPOF[k0] = s0;
      if (firstSend[p0] < 0) firstSend[p0] = k0;
      lastSend[p0] = k0;
    }
  }
  var sendsOf = N.map(function () { return null; });
  for (var k1 = 0; k1 < SENDS; k1++) (sendsOf[SENDTO[k1]] = sendsOf[SENDTO[k1]] || []).push(k1);
  function sentText(k) { return TSEND[k] ? TSEND[k][0] : summary(SEND[k]); }
  function totalText(k) { return TSEND[k] ? TSEND[k][1] : summary(TOTAL[k]); }
  function finalGradText(i) { return i === ROOT ? M.seed : lastSend[i] >= 0 ? totalText(lastSend[i]) : ""; }
  var FWD = [], fwdIndex = new Int32Array(COUNT).fill(-1);
  N.forEach(function (n, i) { if (n.op) { fwdIndex[i] = FWD.length; FWD.push(i); } });

  // ---- the graph: module chains and users ------------------------------------------------------
  var chain = N.map(function (n) {
    var c = [], g = n.group;
    while (g !== null && g !== undefined) { c.unshift(g); g = G[g].parent; }
    return c;
  });
  var users = N.map(function () { return []; });
  N.forEach(function (n, i) { n.parents.forEach(function (p) { users[p].push(i); }); });
  var inside = G.map(function () { return 0; });
  chain.forEach(function (c) { c.forEach(function (g) { inside[g] += 1; }); });
  // What the widest text on each wire can be, so stepping never moves anything (asked only for drawn wires).
  function widest(i) {
    var w = [valueText(i), finalGradText(i) || "?", "?"];
    (sendsOf[i] || []).forEach(function (k) { w.push(totalText(k)); });
    return w;
  }

  // ---- text measuring --------------------------------------------------------------------------
  var ctx = document.createElement("canvas").getContext("2d");
  var family = getComputedStyle($("cg-app")).fontFamily || "sans-serif";
  function textWidth(text, size, style) {
    ctx.font = (style || "") + " " + size + "px " + family;
    return ctx.measureText(text).width;
  }

  // ---- one view --------------------------------------------------------------------------------
  function baseKey(i, view) {
    var c = chain[i];
    if (view === null) return c.length ? "b" + c[0] : "n" + i;
    var k = c.indexOf(view);
    if (k < 0) return null;
    return k === c.length - 1 ? "n" + i : "b" + c[k + 1];
  }

  function buildView(view) {
    var key = N.map(function (_, i) { return baseKey(i, view); });
    // A parameter also used outside its module's box is drawn as an input of its own.
    N.forEach(function (n, i) {
      if (n.parents.length || key[i] === null || key[i][0] !== "b") return;
      if (n.root || users[i].some(function (u) { return key[u] !== key[i]; })) key[i] = "n" + i;
    });
    // A parameter that only boxes use here (a layer called once per sample) shows when a box is opened.
    N.forEach(function (n, i) {
      if (n.parents.length || n.group === null || key[i] !== "n" + i || n.root) return;
      if (users[i].every(function (u) { return key[u] === null || key[u][0] === "b"; }) && users[i].some(function (u) { return key[u] !== null; })) key[i] = "h";
    });
    var elems = {}, list = [];
    function elem(k, kind, order) {
      if (!elems[k]) { elems[k] = { key: k, kind: kind, order: order, outs: [], ins: [], preds: [], succs: [] }; list.push(elems[k]); }
      return elems[k];
    }
    N.forEach(function (n, i) {
      if (key[i] === null || key[i] === "h") return;
      var e = elem(key[i], key[i][0] === "b" ? "box" : "node", i);
      if (e.kind === "box") e.group = +key[i].slice(1); else e.node = i;
      var exits = n.root || users[i].some(function (u) { return key[u] !== key[i]; });
      if (e.kind === "node" || exits) e.outs.push({ node: i, exit: n.root || users[i].some(function (u) { return key[u] === null; }) });
    });
    var edges = [], seen = {};
    N.forEach(function (n, i) {
      if (key[i] === null || key[i] === "h") return;
      var dst = elems[key[i]];
      n.parents.forEach(function (p, slot) {
        var sk = key[p];
        if (sk === "h") return;
        if (sk === null) {
          sk = "x" + p;
          var ext = elem(sk, "ext", p);
          if (!ext.outs.length) { ext.node = p; ext.outs.push({ node: p, exit: false }); }
        }
        if (sk === dst.key) return;
        if (dst.kind !== "node") { if (seen[p + ">" + dst.key]) return; seen[p + ">" + dst.key] = 1; }
        var e = { src: elems[sk], wire: p, dst: dst, slot: slot };
        edges.push(e); dst.ins.push(e); elems[sk].succs.push(e);
      });
    });
    list.forEach(function (e) { e.ins.forEach(function (x) { e.preds.push(x); }); });
    list.forEach(measure);
    layout(list, edges);
    return { view: view, key: key, elems: elems, list: list, edges: edges };
  }

  function wireWidth(i) {
    var w = 0;
    widest(i).forEach(function (t) { w = Math.max(w, textWidth(t, 13)); });
    var n = N[i];
    if (n.shape) w = Math.max(w, textWidth(n.shape, 10));
    if (n.name && n.op) w = Math.max(w, textWidth(n.name, 11, "italic"));
    return Math.max(MIN_WIRE, w + 18);
  }
  function rowsAbove(i) { var n = N[i]; return 1 + (n.shape ? 1 : 0) + (n.name && n.op ? 1 : 0); }

  function measure(e) {
    e.outs.forEach(function (o) { o.len = wireWidth(o.node) + (o.exit ? STUB : 0); });
    if (e.kind === "box") {
      e.title = shortTitle(e.group); e.detail = tr(inside[e.group] === 1 ? "box_one" : "box_many", { count: inside[e.group] });
      var most = { done: inside[e.group], total: inside[e.group], op: "" };  // room for the progress line of boxProgress
      e.bw = Math.max(textWidth(e.title, 13, "bold"), textWidth(e.detail, 10),
                      Math.max(textWidth(tr("box_gate", most), 10), textWidth(tr("box_step", most), 10)) + widestOp()) + 28;
      e.bh = Math.max(48, 44 * e.outs.length);
      var maxLen = 0;
      e.outs.forEach(function (o, k) {
        o.x0 = e.bw; o.y = -e.bh / 2 + e.bh * (k + 0.5) / e.outs.length; maxLen = Math.max(maxLen, o.len);
      });
      e.w = e.bw + maxLen;
      e.top = Math.min(-e.bh / 2, e.outs.length ? e.outs[0].y - 8 - 13 * rowsAbove(e.outs[0].node) : 0);
      e.bottom = Math.max(e.bh / 2, e.outs.length ? e.outs[e.outs.length - 1].y + 24 : 0);
      return;
    }
    var n = N[e.node], o = e.outs[0];
    if (e.kind === "node" && n.op) {
      var tw = textWidth(n.op, 15);
      e.gw = tw <= 2 * R - 8 ? 2 * R : tw + 18;  // a circle, or an ellipse round a long name (sum, tanh)
      e.x0 = e.gw;
    } else {
      e.label = e.kind === "ext" ? (n.name || "[" + (n.op || tr("input")) + "]") : (n.name || (n.const ? tr("const") : tr("input")));
      e.labelSize = (n.const || e.kind === "ext") && !n.name ? 11 : 16;
      e.x0 = textWidth(e.label, e.labelSize) + 8;
    }
    o.x0 = e.x0; o.y = 0;
    e.w = e.x0 + o.len;
    e.top = Math.min(-R, -8 - 13 * rowsAbove(e.node) - 2);
    e.bottom = Math.max(R, 24);
  }

  var opWidth = null;
  function widestOp() {
    if (opWidth === null) opWidth = Math.max.apply(null, OPS.map(function (o) { return textWidth(o[0], 10); }).concat([0]));
    return opWidth;
  }

  // Inside "layers.1: Layer(...)" its child "layers.1.neurons.0: Neuron(...)" reads "neurons.0: Neuron(...)".
  function shortTitle(g) {
    var t = G[g].title, p = G[g].parent;
    if (p === null || p === undefined) return t;
    var name = G[p].title.split(": ")[0];
    return G[p].title.indexOf(": ") > 0 && t.indexOf(name + ".") === 0 ? t.slice(name.length + 1) : t;
  }

  function inPort(e, edge) {
    var n = e.ins.length, k = e.ins.indexOf(edge);
    if (e.kind === "box") return { x: e.x, y: e.y + (n > 1 ? -e.bh / 2 + e.bh * (k + 0.5) / n : 0) };
    var a = n > 1 ? (k - (n - 1) / 2) * (Math.PI / 4.5) : 0;
    var rx = e.gw / 2, cx = e.x + rx;
    return { x: cx - rx * Math.cos(a), y: e.y + R * Math.sin(a) };
  }
  function outPort(e, wire) {
    for (var k = 0; k < e.outs.length; k++) if (e.outs[k].node === wire) {
      var o = e.outs[k]; return { x: e.x + o.x0 + o.len - (o.exit ? STUB : 0), y: e.y + o.y };
    }
    return { x: e.x + e.w, y: e.y };
  }

  // ---- layered layout: ranks, barycentre ordering, least-squares y with gaps ---------------------
  function layout(list, edges) {
    var indeg = new Map(), q = [];
    list.forEach(function (e) { indeg.set(e, e.preds.length); e.rank = 0; if (!e.preds.length) q.push(e); });
    for (var h = 0; h < q.length; h++) {
      q[h].succs.forEach(function (x) {
        x.dst.rank = Math.max(x.dst.rank, q[h].rank + 1);
        indeg.set(x.dst, indeg.get(x.dst) - 1);
        if (indeg.get(x.dst) === 0) q.push(x.dst);
      });
    }
    // Inputs sit just before the first gate that uses them, as in the CS231n figures.
    list.forEach(function (e) {
      if (!e.preds.length && e.succs.length) e.rank = Math.min.apply(null, e.succs.map(function (x) { return x.dst.rank; })) - 1;
    });
    var lo = Math.min.apply(null, list.map(function (e) { return e.rank; }));
    var ranks = [];
    list.forEach(function (e) { e.rank -= lo; (ranks[e.rank] = ranks[e.rank] || []).push(e); });
    for (var r = 0; r < ranks.length; r++) ranks[r] = ranks[r] || [];
    ranks.forEach(function (rk) { rk.sort(function (a, b) { return a.order - b.order; }); rk.forEach(function (e, k) { e.pos = k; }); });
    function bary(e, down) {
      var xs = down ? e.preds.map(function (x) { return x.src.pos + 0.1 * x.slot; })
                    : e.succs.map(function (x) { return x.dst.pos + 0.1 * x.slot; });
      if (!xs.length) return e.pos;
      return xs.reduce(function (a, b) { return a + b; }, 0) / xs.length;
    }
    for (var it = 0; it < 8; it++) {
      var down = it % 2 === 0;
      var order = down ? ranks : ranks.slice().reverse();
      order.forEach(function (rk) {
        var keyed = rk.map(function (e) { return [bary(e, down), e.pos, e]; });
        keyed.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
        keyed.forEach(function (t, k) { rk[k] = t[2]; t[2].pos = k; });
      });
    }
    // x: columns as wide as their widest element, each element right-aligned so wires end near the next gate.
    var x = 0;
    ranks.forEach(function (rk) {
      var w = Math.max.apply(null, rk.map(function (e) { return e.w; }).concat([0]));
      rk.forEach(function (e) { e.x = x + w - e.w; });
      x += w + GAP_X;
    });
    // y: start stacked, then pull each element towards its neighbours' wires, keeping order and gaps.
    ranks.forEach(function (rk) { var y = 0; rk.forEach(function (e) { y -= e.top; e.y = y; y += e.bottom + GAP_Y; }); });
    function want(e, down) {
      var ys = [];
      if (down) e.preds.forEach(function (x) { ys.push(outPort(x.src, x.wire).y - (inPort(e, x).y - e.y)); });
      else e.succs.forEach(function (x) { ys.push(inPort(x.dst, x).y - (outPort(e, x.wire).y - e.y)); });
      if (!ys.length) return e.y;
      return ys.reduce(function (a, b) { return a + b; }, 0) / ys.length;
    }
    for (it = 0; it < 10; it++) {
      var dn = it % 2 === 0;
      (dn ? ranks : ranks.slice().reverse()).forEach(function (rk) { place(rk, rk.map(function (e) { return want(e, dn); })); });
    }
  }

  // Least squares positions for the wanted y's, in the given order, with room for each element (pool
  // adjacent violators on y minus the room needed above it).
  function place(rk, wanted) {
    var off = [], acc = 0;
    rk.forEach(function (e, k) { if (k) acc += rk[k - 1].bottom + GAP_Y - e.top; off.push(acc); });
    var blocks = [];
    wanted.forEach(function (w, k) {
      blocks.push({ sum: w - off[k], n: 1 });
      while (blocks.length > 1 && blocks[blocks.length - 2].sum / blocks[blocks.length - 2].n > blocks[blocks.length - 1].sum / blocks[blocks.length - 1].n) {
        var b = blocks.pop(); blocks[blocks.length - 1].sum += b.sum; blocks[blocks.length - 1].n += b.n;
      }
    });
    var k = 0;
    blocks.forEach(function (b) { for (var j = 0; j < b.n; j++, k++) rk[k].y = b.sum / b.n + off[k]; });
  }

  // ---- drawing ---------------------------------------------------------------------------------
  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  var V = null, refs = {};
  function draw(view) {
    V = buildView(view);
    refs = { wires: {}, gates: {}, edges: [], details: {}, counted: null };
    while (world.firstChild) world.removeChild(world.firstChild);
    var edgeLayer = el("g", { "class": "cg-edges" }, world), nodeLayer = el("g", {}, world);
    V.edges.forEach(function (x) {
      var a = outPort(x.src, x.wire), b = inPort(x.dst, x);
      var dx = Math.max(18, (b.x - a.x) / 2);
      var d = "M" + a.x + "," + a.y + " C" + (a.x + dx) + "," + a.y + " " + (b.x - dx) + "," + b.y + " " + b.x + "," + b.y;
      var g = el("g", { "data-node": x.wire }, edgeLayer);
      var path = el("path", { d: d, "class": "cg-edge", "marker-end": "url(#cg-arrow)" }, g);
      el("path", { d: d, "class": "cg-hit" }, g);
      refs.edges.push({ edge: x, path: path });
      hover(g, x.wire);
    });
    V.list.forEach(function (e) {
      var g = el("g", { transform: "translate(" + e.x + "," + e.y + ")", "data-elem": e.key }, nodeLayer);
      if (e.kind === "box") {
        var box = el("g", { "class": "cg-box", "data-group": e.group }, g);
        el("rect", { x: 0, y: -e.bh / 2, width: e.bw, height: e.bh, rx: 8 }, box);
        el("text", { "class": "cg-title", x: e.bw / 2, y: -3 }, box, e.title);
        refs.details["b" + e.group] = { text: el("text", { "class": "cg-detail", x: e.bw / 2, y: 13 }, box, e.detail), plain: e.detail };
        el("title", {}, box, G[e.group].tip);
        box.addEventListener("click", function (ev) { if (!dragged) { ev.stopPropagation(); open(e.group); } });
        refs.gates["b" + e.group] = box;
      } else if (e.kind === "node" && N[e.node].op) {
        var gate = el("g", { "class": "cg-gate", "data-gate": e.node }, g);
        if (e.gw === 2 * R) el("circle", { cx: R, cy: 0, r: R }, gate);
        else el("ellipse", { cx: e.gw / 2, cy: 0, rx: e.gw / 2, ry: R }, gate);
        el("text", { x: e.gw / 2, y: 0 }, gate, N[e.node].op);
        refs.gates["n" + e.node] = gate;
      } else {
        var cls = e.labelSize === 16 ? "cg-name" : "cg-name cg-constname";
        el("text", { "class": cls, x: e.x0 - 6, y: 0, "text-anchor": "end", "dominant-baseline": "central" }, g, e.label);
      }
      e.outs.forEach(function (o) { drawWire(g, e, o); });
    });
    fit(true);
    crumbs();
    refresh();
  }

  function drawWire(parent, e, o) {
    var n = N[o.node], len = o.len - (o.exit ? STUB : 0), cx = o.x0 + len / 2;
    var g = el("g", { "class": "cg-wire", "data-node": o.node, "data-name": n.name || "" }, parent);
    el("line", { "class": "cg-bar-line", x1: o.x0, y1: o.y, x2: o.x0 + len + (o.exit ? STUB - 2 : 0), y2: o.y,
                 "marker-end": o.exit ? "url(#cg-arrow)" : "" }, g);
    var y = o.y - 7;
    var val = el("text", { "class": "cg-val", x: cx, y: y, "text-anchor": "middle" }, g, valueText(o.node));
    y -= 14;
    if (n.shape) { el("text", { "class": "cg-shape", x: cx, y: y + 1, "text-anchor": "middle" }, g, n.shape); y -= 13; }
    if (n.name && n.op) el("text", { "class": "cg-inner", x: cx, y: y + 1, "text-anchor": "middle" }, g, n.name);
    var grad = el("text", { "class": "cg-grad", x: cx, y: o.y + 18, "text-anchor": "middle" }, g, "");
    el("rect", { "class": "cg-hitbox", x: o.x0, y: o.y - 34, width: len, height: 58 }, g);
    refs.wires[o.node] = { g: g, val: val, grad: grad };
    hover(g, o.node);
  }

  // ---- state: mode and step --------------------------------------------------------------------
  var state = { mode: "backward", step: 0 };
  function stepCount() { return state.mode === "backward" ? STEPS : FWD.length; }

  // The text on wire i at the current step: [value], and [gradient, css class] ("?" until a gate sends to it).
  function valueNow(i) {
    return state.mode === "forward" && fwdIndex[i] >= state.step ? "?" : valueText(i);
  }
  function gradNow(i) {
    var n = N[i];
    if (state.mode === "forward" || !n.needsGrad) return ["", ""];
    if (i === ROOT) return [M.seed, ""];
    var got = -1, list = sendsOf[i] || [];
    for (var j = 0; j < list.length && STEPOF[list[j]] < state.step; j++) got = list[j];
    if (got < 0) return state.step === STEPS ? ["", ""] : ["?", "cg-unknown"];
    return [totalText(got), got === lastSend[i] ? "" : "cg-partial"];
  }

  var INFIX = { "+": "+", "-": "\u2212", "*": "\u00d7", "/": "/", "**": "^", "@": "@" };
  function paren(text, first) { return text.charAt(0) === "-" && !first ? "(" + text + ")" : text; }
  function forwardCaption(k) {  // step k (from 1) of the forward pass
    var i = FWD[k - 1], n = N[i], args = n.parents, sym = INFIX[n.op], expr;
    var names = args.map(callName), values = args.map(valueText);
    if (sym && args.length === 2) expr = names[0] + " " + sym + " " + names[1] + " = " + paren(values[0], true) + " " + sym + " " + paren(values[1]);
    else expr = n.op + "(" + names.join(", ") + ") = " + n.op + "(" + values.join(", ") + ")";
    return tr("forward_step", { k: k, n: FWD.length, name: callName(i), expr: expr, value: valueText(i) });
  }
  // The chain rule of one gate with its numbers: dR/dp = dR/dgate x dgate/dp, for each input p.
  function backwardCaption(k) {
    var gi = GATE[k - 1], gate = N[gi], g = callName(gi), r = M.rootName;
    var scalarUp = gate.scalar, up = gi === ROOT ? SEED : running[gi];
    var upText = finalGradText(gi);
    var head = tr("backward_step", { k: k, n: STEPS, op: gate.op, output: gate.name ? tr("backward_output", { name: gate.name }) : "",
                                    grad: "\u2202" + r + "/\u2202" + g, up: upText });
    var parts = [];
    for (var s = SSTART[k - 1]; s < SSTART[k]; s++) {
      var p = SENDTO[s], pn = callName(p), acc = firstSend[p] === s ? "=" : "+=", local = null;
      if (TSEND[s]) local = TSEND[s][2];  // null: not a single number
      else if (scalarUp && up !== 0) local = summary(SEND[s] / up);
      parts.push(local !== null
        ? "\u2202" + r + "/\u2202" + pn + " " + acc + " \u2202" + r + "/\u2202" + g + " \u00d7 \u2202" + g + "/\u2202" + pn + " = " +
          paren(upText, true) + " \u00d7 " + paren(local) + " = " + sentText(s)
        : "\u2202" + r + "/\u2202" + pn + " " + acc + " " + sentText(s));
    }
    if (!parts.length) return head + tr("backward_none");
    var rule = OPS[OP[gi]][1];
    return head + tr("backward_parts", { parts: parts.join(";  ") }) + (rule ? tr("backward_rule", { rule: rule }) : "");
  }
  function sentTo(k) { var out = []; for (var s = SSTART[k - 1]; s < SSTART[k]; s++) out.push(SENDTO[s]); return out; }

  // A closed box running its gates says which one, so every step changes something on screen.
  function boxProgress(ek, k) {
    var list = state.mode === "backward" ? GATE : FWD, n = stepCount();
    if (!refs.counted || refs.counted.mode !== state.mode) {
      refs.counted = { mode: state.mode, total: {} };
      for (var j = 0; j < n; j++) { var kj = V.key[list[j]]; refs.counted.total[kj] = (refs.counted.total[kj] || 0) + 1; }
    }
    var done = 0;
    for (var q = 0; q < k; q++) if (V.key[list[q]] === ek) done += 1;
    var d = refs.details[ek], gate = N[list[k - 1]];
    if (d) d.text.textContent = tr(state.mode === "backward" ? "box_gate" : "box_step", { done: done, total: refs.counted.total[ek], op: gate.op });
  }

  function refresh() {
    var k = state.step, total = stepCount();
    Object.keys(refs.details).forEach(function (key) {
      var d = refs.details[key];
      if (d.text.textContent !== d.plain) d.text.textContent = d.plain;
    });
    Object.keys(refs.wires).forEach(function (key) {
      var i = +key, w = refs.wires[key], v = valueNow(i), g = gradNow(i);
      w.val.textContent = v;
      w.val.setAttribute("class", v === "?" ? "cg-val cg-unknown cg-grad" : "cg-val");
      w.grad.textContent = g[0];
      w.grad.setAttribute("class", "cg-grad " + g[1]);
      w.g.classList.remove("cg-lit");
    });
    Object.keys(refs.gates).forEach(function (key) { refs.gates[key].classList.remove("cg-active"); });
    refs.edges.forEach(function (r) { r.path.classList.remove("cg-lit"); r.path.setAttribute("marker-end", "url(#cg-arrow)"); });
    var caption;
    if (k === 0) {
      caption = state.mode === "backward"
        ? tr("backward_start", { root: M.rootName, grad: "\u2202" + M.rootName + "/\u2202" + M.rootName, seed: M.seed })
        : tr("forward_start");
      if (!total) caption = tr(state.mode === "backward" ? "backward_leaf" : "forward_leaf");
    } else {
      var gate = state.mode === "backward" ? GATE[k - 1] : FWD[k - 1];
      caption = state.mode === "backward" ? backwardCaption(k) : forwardCaption(k);
      var ek = V.key[gate], active = ek && ek !== "h" && V.elems[ek];
      if (active) {
        var ref = refs.gates[active.kind === "box" ? "b" + active.group : "n" + gate];
        if (ref) ref.classList.add("cg-active");
        if (active.kind === "box") boxProgress(ek, k);
        inSight(active);
        var lit = state.mode === "backward" ? sentTo(k) : [gate];
        lit.forEach(function (p) { if (refs.wires[p] && V.key[p] !== ek) refs.wires[p].g.classList.add("cg-lit"); });
        if (state.mode === "backward") refs.edges.forEach(function (r) {
          if (r.edge.dst === active && lit.indexOf(r.edge.wire) >= 0) { r.path.classList.add("cg-lit"); r.path.setAttribute("marker-end", "url(#cg-arrow-hi)"); }
        });
      } else caption += tr("outside");
    }
    $("cg-caption").textContent = caption;
    var slider = $("cg-slider");
    slider.max = total; slider.value = k;
    $("cg-count").textContent = tr(state.mode === "backward" ? "count_gate" : "count_step", { k: k, n: total });
    $("cg-prev").disabled = $("cg-first").disabled = k === 0;
    $("cg-next").disabled = $("cg-last").disabled = k === total;
    $("cg-mode-backward").classList.toggle("cg-on", state.mode === "backward");
    $("cg-mode-forward").classList.toggle("cg-on", state.mode === "forward");
    if (tipFor !== null) showTip(tipFor);
  }
  function go(k) { state.step = Math.max(0, Math.min(stepCount(), k)); refresh(); }
  function mode(m) { state.mode = m; state.step = 0; refresh(); }

  // ---- tooltips: built from elements and textContent, so no label is ever parsed as HTML ------
  var tipFor = null, tipAt = { x: 0, y: 0 };
  function html(tag, parent, text, cls) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  function detail(parent, d, cls) {  // d: a Tensor's {text} or {shape, dtype, min, ..., hist}
    if (d.text !== undefined) { html("pre", parent, d.text, cls); return; }
    html("pre", parent, tr("tip_shape", { shape: d.shape.join(", "), dtype: d.dtype }) +
      (d.min !== undefined ? "\n" + tr("tip_stats", { min: d.min, mean: d.mean, max: d.max, std: d.std }) : "") +
      (d.nonfinite ? "\n" + tr("tip_nonfinite", { count: d.nonfinite }) : ""), cls);
    if (!d.hist) return;
    var m = Math.max.apply(null, d.hist) || 1, bw = 12, hh = 36, colour = cls === "cg-tg" ? "#c62828" : "#2e7d32";
    var chart = el("svg", { width: d.hist.length * bw, height: hh + 12 }, parent);
    d.hist.forEach(function (c, k) {
      var bh = Math.max(c ? 1 : 0, hh * c / m);
      el("rect", { x: k * bw, y: hh - bh, width: bw - 1, height: bh, fill: colour }, chart);
    });
    el("text", { x: 0, y: hh + 11, "font-size": 9, fill: "#616161" }, chart, d.lo);
    el("text", { x: d.hist.length * bw, y: hh + 11, "font-size": 9, fill: "#616161", "text-anchor": "end" }, chart, d.hi);
  }
  function moduleOf(i) { return chain[i].map(function (g) { return G[g].title; }).join(" \u203a ") || tr("tip_no_module"); }
  function row(key, value) { var d = html("div", tip); html("span", d, key, "cg-k"); d.appendChild(document.createTextNode(" " + value)); }
  function showTip(i) {
    var n = N[i], g = gradNow(i), t = TENSOR[i];
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    html("h4", tip, n.name || (n.op ? tr("tip_result", { op: n.op }) : (n["const"] ? tr("tip_constant") : tr("input"))));
    row(tr("tip_op"), n.op || tr("tip_leaf"));
    row(tr("tip_module"), moduleOf(i));
    if (n.shape) row(tr("tip_shape_row"), n.shape);
    if (ATT[i]) row(ATT_TEXT.clickKey, ATT_TEXT.click);
    html("div", tip, tr("tip_data"), "cg-k");
    if (valueNow(i) === "?") html("pre", tip, tr("tip_unknown"));
    else if (t) detail(tip, t.data, "cg-tv");
    else html("pre", tip, formatNumber(VALUE[i], P + 2), "cg-tv");
    if (state.mode === "backward" && n.needsGrad) {
      html("div", tip, tr("tip_grad"), "cg-k");
      if (g[0] === "?") html("pre", tip, tr("tip_unknown"));
      else if (g[1] === "cg-partial") html("pre", tip, tr("tip_partial", { grad: g[0] }), "cg-tg");
      else if (g[0] === "") html("pre", tip, tr("tip_no_grad"));
      else if (i === ROOT && state.step === 0) html("pre", tip, tr("tip_seed", { seed: M.seed }), "cg-tg");
      else if (t) detail(tip, t.gradDetail, "cg-tg");
      else html("pre", tip, formatNumber(TOTAL[lastSend[i]], P + 2), "cg-tg");
    }
    tip.hidden = false;
    tipFor = i;
    var box = stage.getBoundingClientRect(), w = tip.offsetWidth, hgt = tip.offsetHeight;
    var x = tipAt.x + 14, y = tipAt.y + 14;
    if (x + w > box.width) x = Math.max(0, tipAt.x - w - 10);
    if (y + hgt > box.height) y = Math.max(0, tipAt.y - hgt - 10);
    tip.style.left = x + "px"; tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; tipFor = null; }
  function hover(g, i) {
    g.addEventListener("mouseenter", function (ev) { at(ev); showTip(i); });
    g.addEventListener("mousemove", function (ev) { at(ev); showTip(i); });
    g.addEventListener("mouseleave", hideTip);
    g.addEventListener("click", function (ev) {
      if (dragged) return;
      at(ev); ev.stopPropagation();
      if (ATT[i]) { hideTip(); showAttention(i); } else if (tipFor === i) hideTip(); else showTip(i);
    });
  }
  function at(ev) { var b = stage.getBoundingClientRect(); tipAt = { x: ev.clientX - b.left, y: ev.clientY - b.top }; }

  // ---- pan and zoom ----------------------------------------------------------------------------
  var T = { k: 1, x: 0, y: 0 };
  function apply() {
    world.setAttribute("transform", "translate(" + T.x + "," + T.y + ") scale(" + T.k + ")");
    stage.setAttribute("data-zoom", T.k.toFixed(4));
  }
  function inSight(e) {  // pan (keeping the zoom) so that element e is on screen
    var b = stage.getBoundingClientRect(), cx = T.x + (e.x + e.w / 2) * T.k, cy = T.y + e.y * T.k;
    if (cx < 0 || cx > b.width || cy < 0 || cy > b.height) {
      T.x = b.width / 2 - (e.x + e.w / 2) * T.k; T.y = b.height / 2 - e.y * T.k; apply();
    }
  }
  function zoomAt(f, px, py) {
    var k = Math.max(0.05, Math.min(8, T.k * f));
    T.x = px - (px - T.x) * k / T.k; T.y = py - (py - T.y) * k / T.k; T.k = k; apply();
  }
  var LEGIBLE = 0.75;  // below this zoom the 13 px numbers on the wires are under 10 px high
  function fit(legible) {
    var b = stage.getBoundingClientRect(), x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    V.list.forEach(function (e) { x0 = Math.min(x0, e.x); x1 = Math.max(x1, e.x + e.w); y0 = Math.min(y0, e.y + e.top); y1 = Math.max(y1, e.y + e.bottom); });
    if (!isFinite(x0)) { T = { k: 1, x: 0, y: 0 }; apply(); return; }
    var W = Math.max(b.width, 200), H = Math.max(b.height, 150), pad = 24;
    var k = Math.min((W - 2 * pad) / (x1 - x0), (H - 2 * pad) / (y1 - y0), 1.6);
    T.k = Math.max(0.05, k); T.x = (W - (x1 - x0) * T.k) / 2 - x0 * T.k; T.y = (H - (y1 - y0) * T.k) / 2 - y0 * T.k;
    // A view too big to read whole (a Sequential's row of layers, hundreds of samples' boxes) opens
    // readable at its output instead, where backprop starts; stepping pans to each gate, and the fit
    // button (0) still shows all of it.
    if (legible && k < LEGIBLE) {
      var out = V.elems[V.key[ROOT]];
      if (!out) V.list.forEach(function (e) { if (!out || e.x + e.w > out.x + out.w) out = e; });  // the view's output
      T.k = 0.9; T.x = W - pad - (out.x + out.w) * T.k; T.y = H / 2 - out.y * T.k;
    }
    apply();
  }
  stage.addEventListener("wheel", function (ev) {
    ev.preventDefault(); at(ev); zoomAt(Math.exp(-ev.deltaY * 0.0015), tipAt.x, tipAt.y);
  }, { passive: false });
  var drag = null, dragged = false;
  stage.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, tx: T.x, ty: T.y }; dragged = false;
  });
  window.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
    dragged = true; stage.classList.add("cg-dragging"); hideTip();
    T.x = drag.tx + dx; T.y = drag.ty + dy; apply();
  });
  window.addEventListener("pointerup", function () { drag = null; stage.classList.remove("cg-dragging"); setTimeout(function () { dragged = false; }, 0); });
  stage.addEventListener("click", function () { if (!dragged) hideTip(); });

  // ---- modules: open a box, breadcrumbs back ---------------------------------------------------
  function open(g) { hideTip(); draw(g); }
  function crumbs() {
    var nav = $("cg-crumbs");
    while (nav.firstChild) nav.removeChild(nav.firstChild);
    if (!G.length) return;
    var path = V.view === null ? [] : pathTo(V.view);
    var items = [{ view: null, title: tr("whole_graph") }].concat(path.map(function (g) { return { view: g, title: G[g].title }; }));
    items.forEach(function (it, k) {
      if (k) nav.appendChild(document.createTextNode(" \u203a "));
      var a = document.createElement(k === items.length - 1 ? "span" : "a");
      a.textContent = it.title;
      a.setAttribute("data-view", it.view === null ? "" : it.view);
      if (k === items.length - 1) a.className = "cg-here";
      else a.addEventListener("click", function () { open(it.view); });
      nav.appendChild(a);
    });
  }
  function pathTo(g) { var p = []; while (g !== null && g !== undefined) { p.unshift(g); g = G[g].parent; } return p; }

  // ---- attention: the weights of a softmax of q k^T; one click opens a weight's circuit ----------
  // Each circuit (the q.k products, the scale, the softmax gates, as scalar gates with the numbers the
  // model computed) is a page model of its own, stored in this page (explore.py, attention_circuits.py),
  // and opens in a copy of this page in a frame: no request, and every control works on it.
  var ATT = M.attention || {};
  var ATT_TEXT = { title: tr("att_title"), hint: tr("att_hint"), close: tr("att_close"), back: tr("att_back"),
                   masked: tr("att_masked"), clickKey: tr("att_click_key"), click: tr("att_click") };
  function attentionColour(w) { var t = Math.max(0, Math.min(1, w)); return "rgba(239, 108, 0, " + (0.08 + 0.8 * t).toFixed(3) + ")"; }
  function closeAttention() { var old = $("cg-att"); if (old) old.parentNode.removeChild(old); }
  function showAttention(i) {
    closeAttention();
    var a = ATT[i], shape = a.shape, rows = shape[shape.length - 2], cols = shape[shape.length - 1];
    var panel = html("div", stage, "", "cg-att");
    panel.id = "cg-att"; panel.setAttribute("data-node", i);
    panel.addEventListener("click", function (ev) { ev.stopPropagation(); });
    panel.addEventListener("pointerdown", function (ev) { ev.stopPropagation(); });
    panel.addEventListener("wheel", function (ev) { ev.stopPropagation(); });
    var head = html("div", panel, "", "cg-att-head");
    html("b", head, (N[i].name || ATT_TEXT.title) + " " + N[i].shape);
    var x = html("button", head, ATT_TEXT.close);
    x.type = "button"; x.addEventListener("click", closeAttention);
    html("div", panel, a.note || ATT_TEXT.hint, "cg-att-hint");
    for (var m = 0; m * rows * cols < a.values.length; m++) {
      var lead = [], rest = m;
      for (var d = shape.length - 3; d >= 0; d--) { lead.unshift(rest % shape[d]); rest = Math.floor(rest / shape[d]); }
      if (lead.length) html("div", panel, "[" + lead.join(", ") + ", :, :]", "cg-att-sub");
      var table = html("table", panel, "", "cg-att-grid");
      for (var r = 0; r < rows; r++) {
        var tr = html("tr", table);
        for (var c = 0; c < cols; c++) {
          var k = (m * rows + r) * cols + c, w = a.values[k], cell = html("td", tr, formatNumber(w, P));
          cell.setAttribute("data-index", lead.concat([r, c]).join(","));
          if (a.circuits[k] === undefined) { cell.className = "cg-att-masked"; cell.title = a.note || ATT_TEXT.masked; continue; }
          cell.style.background = attentionColour(w);
          cell.addEventListener("click", (function (k) { return function () { openCircuit(i, k); }; })(k));
        }
      }
    }
  }
  function openCircuit(i, k) {
    var model = ATT[i].circuits[k], at = PAGE.indexOf('id="cg-data">'), end = PAGE.indexOf("<\/script>", at);
    var json = JSON.stringify(model).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
    var overlay = html("div", $("cg-app"), "", "cg-circuit");
    overlay.id = "cg-circuit";
    var bar = html("div", overlay, "", "cg-circuit-bar"), back = html("button", bar, ATT_TEXT.back);
    back.type = "button"; back.addEventListener("click", function () { overlay.parentNode.removeChild(overlay); });
    html("b", bar, model.title);
    var frame = html("iframe", overlay);
    frame.title = model.title;
    frame.srcdoc = PAGE.slice(0, at + 'id="cg-data">'.length) + json + PAGE.slice(end);
  }

  // ---- controls --------------------------------------------------------------------------------
  $("cg-first").addEventListener("click", function () { go(0); });
  $("cg-prev").addEventListener("click", function () { go(state.step - 1); });
  $("cg-next").addEventListener("click", function () { go(state.step + 1); });
  $("cg-last").addEventListener("click", function () { go(stepCount()); });
  $("cg-slider").addEventListener("input", function (ev) { go(+ev.target.value); });
  $("cg-mode-backward").addEventListener("click", function () { mode("backward"); });
  $("cg-mode-forward").addEventListener("click", function () { mode("forward"); });
  function centre() { var b = stage.getBoundingClientRect(); return [b.width / 2, b.height / 2]; }
  $("cg-zoom-in").addEventListener("click", function () { var c = centre(); zoomAt(1.25, c[0], c[1]); });
  $("cg-zoom-out").addEventListener("click", function () { var c = centre(); zoomAt(0.8, c[0], c[1]); });
  $("cg-fit").addEventListener("click", function () { fit(false); });
  document.addEventListener("keydown", function (ev) {
    if (ev.target && ev.target.tagName === "INPUT" && ev.key !== "ArrowRight" && ev.key !== "ArrowLeft") return;
    var c = centre(), used = true;
    if (ev.key === "ArrowRight") go(state.step + 1);
    else if (ev.key === "ArrowLeft") go(state.step - 1);
    else if (ev.key === "Home") go(0);
    else if (ev.key === "End") go(stepCount());
    else if (ev.key === "+" || ev.key === "=") zoomAt(1.25, c[0], c[1]);
    else if (ev.key === "-") zoomAt(0.8, c[0], c[1]);
    else if (ev.key === "0") fit(false);
    else if (ev.key === "Escape" && V.view !== null) open(G[V.view].parent);
    else used = false;
    if (used) ev.preventDefault();
  });
  window.addEventListener("resize", function () { fit(true); });

  draw(null);
  if (window.performance && performance.mark) performance.mark("circuitgrad-drawn");
  window.circuitgradExplorer = { model: M, state: state, go: go, mode: mode, open: open, fit: fit, formatNumber: formatNumber,
                                 view: function () { return V.view; }, showAttention: showAttention, openCircuit: openCircuit };
})();
