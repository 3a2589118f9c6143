/* The live page of viz.live: the recorded frames (curves, neuron maps, the output over the plane)
   with a slider over the recorded epochs, and the graph of one chosen sample, recomputed here from
   the weights recorded at that epoch with circuitgrad's own formulas (float64):

     forward   z = W a_prev + b,  a = f(z)              (f: sigmoid, tanh, relu, leaky_relu, or none)
     loss      bce: (y - 1) max(log1p(-p), -100) - y max(log p, -100)
               mse: (p - y)^2          cross_entropy: -log_softmax(z)[y]
     backward  dz = da f'(z),  dW = dz a_prev^T,  db = dz,  da_prev = W^T dz

   Every number is drawn as text, green for a value, red for its gradient
   (d loss of this sample / d value), and kept in data-* attributes at full precision. */
(function () {
  "use strict";
  var run = CG_RUN, frames = run.frames, G = run.graph;
  // Every word the page shows, in the language it was made in (viz/locales/<lang>.json), through tr().
  function tr(key, params) {
    var s = CG_TEXT["live." + key];
    if (s === undefined) return key;
    return s.replace(/\{(\w+)\}/g, function (m, name) { return params && name in params ? String(params[name]) : m; });
  }
  var SVG = "http://www.w3.org/2000/svg";
  var PAINTED = 1500, BUCKETS = 4;  // wires drawn in a wide net, the largest weights first, in 4 widths a sign
  var VALUE = "#2e7d32", GRAD = "#c62828", MUTED = "#616161", POS = "#0877bd", NEG = "#f59322";
  var $ = function (id) { return document.getElementById(id); };
  var slider = $("slider"), view = $("frame"), button = $("play"), count = $("count");
  var caption = $("sample-caption"), legend = $("sample-legend"), message = $("sample-message");
  var svg = $("graph"), tip = $("tip");
  var k = frames.length - 1, timer = null, sample = null, built = null, last = null, shown = [], current = null;
  // the messages of bad input and of the data each epoch trained on, in one place
  var SAY = {
    points: function (n) { return tr("points", { n: n }); },
    noPoint: function (i, n) { return tr("no_point", { i: i, n: n, last: n - 1 }); },
    outside: function (x, e) { return tr("outside", { x0: fmt(x[0]), x1: fmt(x[1]), a: fmt(e[0]), b: fmt(e[1]), c: fmt(e[2]), d: fmt(e[3]) }); },
    notRecorded: function (e, near) { return tr("not_recorded", { epoch: e, near: near }); }
  };

  // ---- the recorded weights -------------------------------------------------------------------
  function decode(text) {  // base64 of little-endian float64 bytes -> Float64Array, bit for bit
    var bin = atob(text), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var view = new DataView(bytes.buffer), out = new Float64Array(bytes.length / 8);
    for (var j = 0; j < out.length; j++) out[j] = view.getFloat64(8 * j, true);
    return out;
  }
  var decoded = [];  // each frame's weights decoded once: scrubbing back reuses them
  function layersAt(k) {  // [{W: [[...] per output], b: [...] or null}] in the model's order
    if (decoded[k]) return decoded[k];
    var flat = decode(frames[k].w), at = 0;
    return decoded[k] = G.layers.map(function (spec) {
      var W = [], b = null;
      for (var o = 0; o < spec.out; o++) { W.push(Array.prototype.slice.call(flat, at, at + spec.in)); at += spec.in; }
      if (spec.bias) { b = Array.prototype.slice.call(flat, at, at + spec.out); at += spec.out; }
      return {W: W, b: b};
    });
  }

  // ---- one sample's forward and backward (the formulas of autograd/ops) -----------------------
  function f(name, z, slope) {
    if (name === "sigmoid") return 1 / (1 + Math.exp(Math.min(-z, G.loss.exp_limit)));
    if (name === "tanh") return Math.tanh(z);
    if (name === "relu") return Math.max(z, 0);
    if (name === "leaky_relu") return z > 0 ? z : z * slope;
    return z;
  }
  function df(name, g, z, a, slope) {  // g * f'(z), in the order circuitgrad multiplies
    if (name === "sigmoid") return g * a * (1 - a);        // d/dz sigmoid = out (1 - out)
    if (name === "tanh") return g * (1 - a * a);           // d/dz tanh = 1 - out^2
    if (name === "relu") return a > 0 ? g : 0;             // 0 at 0, as PyTorch
    if (name === "leaky_relu") return z > 0 ? g * 1 : g * slope;
    return g;
  }
  function replay(layers, x, y) {
    var acts = [x.slice()], zs = [null];
    layers.forEach(function (L, l) {
      var spec = G.layers[l], prev = acts[l], z = [], a = [];
      for (var o = 0; o < spec.out; o++) {
        var s = 0;
        for (var i = 0; i < spec.in; i++) s += prev[i] * L.W[o][i];
        z.push(L.b ? s + L.b[o] : s);
        a.push(f(spec.act, z[o], spec.slope));
      }
      zs.push(z); acts.push(a);
    });
    var out = acts[acts.length - 1], loss, gout = [], kind = G.loss.kind;
    if (kind === "bce") {
      var p = out[0], logp = Math.max(Math.log(p), -100), logq = Math.max(Math.log1p(-p), -100);
      loss = (y - 1) * logq - y * logp;
      gout = [(p - y) / Math.max(p * (1 - p), G.loss.eps)];   // d bce / dp
    } else if (kind === "mse") {
      var d = out[0] - y;
      loss = d * d;
      gout = [2 * d];                                            // d (p - y)^2 / dp
    } else {  // cross_entropy: log_softmax, then minus the true class's entry
      var m = Math.max.apply(null, out), sum = 0, shifted = out.map(function (v) { return v - m; });
      shifted.forEach(function (v) { sum += Math.exp(v); });
      var logs = shifted.map(function (v) { return v - Math.log(sum); });
      loss = -logs[y];
      gout = logs.map(function (v, c) { return (c === y ? -1 : 0) + Math.exp(v); });  // softmax - onehot
    }
    var ga = [], gz = [], gW = [], gb = [];
    ga[acts.length - 1] = gout;
    for (var l = layers.length; l >= 1; l--) {
      var spec = G.layers[l - 1], L = layers[l - 1], prev = acts[l - 1];
      gz[l] = ga[l].map(function (g, o) { return df(spec.act, g, zs[l][o], acts[l][o], spec.slope); });
      gW[l] = gz[l].map(function (g) { return prev.map(function (v) { return g * v; }); });
      gb[l] = gz[l].slice();
      var back = [];
      for (var i = 0; i < spec.in; i++) {
        var s = 0;
        for (var o = 0; o < spec.out; o++) s += gz[l][o] * L.W[o][i];
        back.push(s);
      }
      ga[l - 1] = back;
    }
    return {x: x, y: y, z: zs, a: acts, loss: loss, gz: gz, ga: ga, gW: gW, gb: gb, layers: layers};
  }

  // ---- drawing --------------------------------------------------------------------------------
  function fmt(v) {
    if (v === 0) return "0";
    var s = Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(+v.toPrecision(4)) : v.toExponential(2);
    return s.replace("-", "\u2212");
  }
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var key in attrs) e.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, colour, size, anchor) {
    var t = el("text", {x: x, y: y, fill: colour, "font-size": size, "text-anchor": anchor || "middle"}, parent);
    t.appendChild(document.createTextNode(""));
    return t;
  }
  function write(t, s) {  // only a changed string costs a relayout of its text
    var node = t.firstChild;
    if (node.data !== s) node.data = s;
  }
  function nodeName(c, j) {
    if (c === 0) return "x" + (j + 1);
    var widths = G.layers.map(function (s) { return s.out; });
    if (c === widths.length) return widths[c - 1] === 1 ? "out" : "out" + (j + 1);
    return "h" + c + "." + (j + 1);
  }
  function build() {  // the nodes and wires once; each epoch or sample only changes their numbers
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var widths = [2].concat(G.layers.map(function (s) { return s.out; }));
    var wires = 0;
    G.layers.forEach(function (s) { wires += s.in * s.out; });
    // up to 300 wires each is an SVG line with its tooltip and numbers; beyond, the largest are drawn as
    // eight paths (sign and width buckets), so scrubbing stays fast; hover a neuron then
    var many = wires > 300;
    var labels = wires <= 48, BW = 150, BH = 48, ROW = labels ? 80 : many ? 50 : 56, GAP = labels ? 250 : 170;
    var tallest = Math.max.apply(null, widths), height = tallest * ROW + 30;
    var pos = widths.map(function (n, c) {
      var out = [];
      for (var j = 0; j < n; j++) out.push({x: 16 + c * (BW + GAP), y: 22 + (height - 30) / 2 + (j - (n - 1) / 2) * ROW - BH / 2});
      return out;
    });
    var lossX = 16 + widths.length * (BW + GAP) - GAP + 90;
    svg.setAttribute("width", lossX + BW + 20);
    svg.setAttribute("height", height);
    var wireLayer = el("g", {}, svg), nodeLayer = el("g", {}, svg);
    var B = {wires: [], nodes: [], labels: labels, paths: null, ends: [], painted: null};
    if (many) {
      B.paths = [];
      for (var p = 0; p < 2 * BUCKETS; p++)
        B.paths.push(el("path", {fill: "none", stroke: p < BUCKETS ? POS : NEG, "stroke-opacity": 0.45,
                                 "stroke-width": 0.3 + 0.8 * (p % BUCKETS)}, wireLayer));
      G.layers.forEach(function (spec, l) {
        B.ends[l] = [];
        for (var o = 0; o < spec.out; o++) for (var i = 0; i < spec.in; i++)
          B.ends[l].push("M" + (pos[l][i].x + BW) + " " + (pos[l][i].y + BH / 2) + "L" + pos[l + 1][o].x + " " + (pos[l + 1][o].y + BH / 2));
      });
    }
    G.layers.forEach(function (spec, l) {
      B.wires[l] = [];
      if (many) return;
      for (var o = 0; o < spec.out; o++) {
        B.wires[l][o] = [];
        for (var i = 0; i < spec.in; i++) {
          var a = pos[l][i], b = pos[l + 1][o];
          var x0 = a.x + BW, y0 = a.y + BH / 2, x1 = b.x, y1 = b.y + BH / 2;
          var g = el("g", {"class": "cg-wire", "data-layer": l, "data-from": nodeName(l, i), "data-to": nodeName(l + 1, o)}, wireLayer);
          var line = el("line", {x1: x0, y1: y0, x2: x1, y2: y1, "stroke-opacity": 0.7}, g);
          el("line", {x1: x0, y1: y0, x2: x1, y2: y1, "class": "cg-hit"}, g);
          var w = {g: g, line: line, l: l, o: o, i: i};
          if (labels) {  // on the wire, nearer its target, value above and gradient below (CS231n)
            // each source's labels at their own distance along the wires, so labels of crossing wires stay apart
            var t = 0.4 + 0.2 * (i % 2);
            var lx = x0 + (x1 - x0) * t, ly = y0 + (y1 - y0) * t;
            w.value = text(g, lx, ly - 4, VALUE, 11); w.value.setAttribute("class", "cg-value");
            w.grad = text(g, lx, ly + 12, GRAD, 11); w.grad.setAttribute("class", "cg-grad");
          }
          B.wires[l][o][i] = w;
          g.addEventListener("mousemove", hover(function () { return wireTip(w); }));
          g.addEventListener("mouseleave", hide);
        }
      }
    });
    widths.forEach(function (n, c) {
      B.nodes[c] = [];
      for (var j = 0; j < n; j++) {
        var p = pos[c][j], name = nodeName(c, j), act = c ? (G.layers[c - 1].act || "identity") : "input";
        var g = el("g", {"class": "cg-node", "data-name": name}, nodeLayer);
        el("rect", {x: p.x, y: p.y, width: BW, height: BH, rx: 6, fill: "#fafafa", stroke: "#9e9e9e"}, g);
        text(g, p.x + 8, p.y + 14, MUTED, 11, "start").textContent = name + (c ? " \u00b7 " + act : "");
        var node = {g: g, c: c, j: j, name: name, v: {}};
        g.cgNode = node;
        if (onScreen) onScreen.observe(g);
        if (c) {
          text(g, p.x + 8, p.y + 29, MUTED, 10, "start").textContent = "z";
          text(g, p.x + 78, p.y + 29, MUTED, 10, "start").textContent = "a";
          node.z = text(g, p.x + 46, p.y + 29, VALUE, 12); node.gz = text(g, p.x + 46, p.y + 43, GRAD, 12);
          node.a = text(g, p.x + 114, p.y + 29, VALUE, 12); node.ga = text(g, p.x + 114, p.y + 43, GRAD, 12);
        } else {
          node.a = text(g, p.x + BW / 2, p.y + 29, VALUE, 12); node.ga = text(g, p.x + BW / 2, p.y + 43, GRAD, 12);
        }
        B.nodes[c][j] = node;
        g.addEventListener("mousemove", hover(function (nd) { return function () { return nodeTip(nd); }; }(node)));
        g.addEventListener("mouseleave", hide);
      }
    });
    // the loss of this one sample, fed by every output
    var out = pos[pos.length - 1], ly = 22 + (height - 30) / 2 - BH / 2;
    out.forEach(function (p) {
      el("line", {x1: p.x + BW, y1: p.y + BH / 2, x2: lossX, y2: ly + BH / 2, stroke: "#212121", "stroke-width": 1.2}, wireLayer);
    });
    var lg = el("g", {"class": "cg-node cg-loss", "data-name": "loss"}, nodeLayer);
    el("rect", {x: lossX, y: ly, width: BW, height: BH, rx: 6, fill: "#fff3e0", stroke: "#ef6c00"}, lg);
    B.lossName = text(lg, lossX + 8, ly + 14, MUTED, 11, "start");
    B.loss = text(lg, lossX + BW / 2, ly + 29, VALUE, 12);
    text(lg, lossX + BW / 2, ly + 43, GRAD, 12).textContent = "1";
    B.lossNode = lg;
    return B;
  }
  // A neuron's numbers are written into its text only while it is on screen (or near): a 399-neuron graph
  // changes ~200 texts a frame, not 1,600. The rest are written when they scroll into view.
  var onScreen = window.IntersectionObserver ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { var n = e.target.cgNode; n.visible = e.isIntersecting; if (n.visible) paintNode(n); });
  }, {rootMargin: "300px"}) : null;
  function paintNode(n) {
    if (!n.stale) return;
    n.stale = false;
    write(n.a, fmt(n.v.a)); write(n.ga, fmt(n.v.ga));
    if (n.z) { write(n.z, fmt(n.v.z)); write(n.gz, fmt(n.v.gz)); }
  }
  function sync() {  // every number at full precision into data-* attributes, for a test or a script to read
    built.nodes.forEach(function (col) { col.forEach(function (n) { for (var key in n.v) n.g.dataset[key] = n.v[key]; }); });
  }
  function draw(r) {
    last = r;
    if (!built) built = build();
    r.a.forEach(function (col, c) {
      col.forEach(function (v, j) {
        var n = built.nodes[c][j];
        n.v = c ? {a: v, ga: r.ga[c][j], z: r.z[c][j], gz: r.gz[c][j]} : {a: v, ga: r.ga[c][j]};
        if (c && r.layers[c - 1].b) { n.v.b = r.layers[c - 1].b[j]; n.v.gb = r.gb[c][j]; }
        n.stale = true;
        if (n.visible !== false) paintNode(n);
      });
    });
    var biggest = r.layers.biggest;
    if (biggest === undefined) {  // once per epoch: the widths of the wires are relative to it
      biggest = 1e-12;
      r.layers.forEach(function (L) { L.W.forEach(function (row) { row.forEach(function (v) { biggest = Math.max(biggest, Math.abs(v)); }); }); });
      r.layers.biggest = biggest;
    }
    if (built.paths && built.painted !== k) { paintWires(r, biggest); built.painted = k; }
    built.wires.forEach(function (layer, l) {
      layer.forEach(function (row, o) {
        row.forEach(function (w, i) {
          var v = r.layers[l].W[o][i], g = r.gW[l + 1][o][i];
          w.line.setAttribute("stroke", v > 0 ? POS : NEG);
          w.line.setAttribute("stroke-width", (0.4 + 3.2 * Math.abs(v) / biggest).toFixed(2));
          w.g.setAttribute("data-value", String(v)); w.g.setAttribute("data-grad", String(g));
          if (w.value) { write(w.value, fmt(v)); write(w.grad, fmt(g)); }
        });
      });
    });
    write(built.lossName, tr("loss_node", { kind: G.loss.kind, y: r.y }));
    write(built.loss, fmt(r.loss));
    built.lossNode.setAttribute("data-value", String(r.loss));
    built.lossNode.setAttribute("data-grad", "1");
  }

  function paintWires(r, biggest) {  // one path per (sign, width) bucket, each built in one pass, kept per epoch
    var paths = r.layers.paths;
    if (paths) { paths.forEach(function (d, p) { built.paths[p].setAttribute("d", d); }); return; }
    paths = [];
    for (var p = 0; p < 2 * BUCKETS; p++) paths.push([]);
    // only the PAINTED largest weights: long diagonal strokes by the ten thousand take seconds to rasterize
    var all = new Float64Array(built.ends.reduce(function (n, e) { return n + e.length; }, 0)), at = 0;
    r.layers.forEach(function (L) { L.W.forEach(function (row) { for (var i = 0; i < row.length; i++) all[at++] = Math.abs(row[i]); }); });
    var least = all.length > PAINTED ? all.sort()[all.length - PAINTED] : 0;
    r.layers.forEach(function (L, l) {
      var ends = built.ends[l], n = 0, ins = G.layers[l].in;
      for (var o = 0; o < L.W.length; o++) {
        var row = L.W[o];
        for (var i = 0; i < ins; i++, n++) {
          var v = row[i], e = ends[n];
          if (Math.abs(v) < least) continue;
          var path = paths[(v > 0 ? 0 : BUCKETS) + Math.min(BUCKETS - 1, Math.floor(BUCKETS * Math.abs(v) / biggest))];
          path.push(e);
        }
      }
    });
    r.layers.paths = paths = paths.map(function (path) { return path.join(""); });
    paths.forEach(function (d, p) { built.paths[p].setAttribute("d", d); });
  }

  // ---- hover: the maths with the numbers ------------------------------------------------------
  function hover(describe) {
    return function (ev) {
      tip.textContent = describe();
      tip.style.display = "block";
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    };
  }
  function hide() { tip.style.display = "none"; }
  function signed(v, first) {
    var s = fmt(Math.abs(v));
    return first ? (v < 0 ? "\u2212" + s : s) : (v < 0 ? " \u2212 " : " + ") + s;
  }
  function nodeTip(n) {
    var r = last, c = n.c, j = n.j;
    if (!c) return n.name + " = " + fmt(r.a[0][j]) + tr("tip_input") + "\n\u2202loss/\u2202" + n.name + " = " + fmt(r.ga[0][j]);
    var spec = G.layers[c - 1], L = r.layers[c - 1], terms = "";
    var shown = Math.min(spec.in, 8);
    for (var i = 0; i < shown; i++) terms += signed(L.W[j][i], i === 0) + "\u00b7" + nodeName(c - 1, i);
    if (spec.in > shown) terms += " + \u2026 " + tr("tip_more", { count: spec.in - shown });
    if (L.b) terms += signed(L.b[j], false);
    var act = spec.act || "", inner = act ? act + "(" + terms + ")" : terms;
    return "a = " + inner + " = " + fmt(r.a[c][j]) +
      "\nz = " + fmt(r.z[c][j]) + "   \u2202loss/\u2202z = " + fmt(r.gz[c][j]) + "   \u2202loss/\u2202a = " + fmt(r.ga[c][j]) +
      (L.b ? "\nb = " + fmt(L.b[j]) + "   \u2202loss/\u2202b = " + fmt(r.gb[c][j]) : "");
  }
  function wireTip(w) {
    var r = last, v = r.layers[w.l].W[w.o][w.i], src = r.a[w.l][w.i];
    var from = nodeName(w.l, w.i), to = nodeName(w.l + 1, w.o);
    return tr("tip_weight", { from: from, to: to, w: fmt(v) }) + "\n\u2202loss/\u2202w = " + fmt(r.gW[w.l + 1][w.o][w.i]) +
      tr("tip_weight_grad", { from: from, to: to }) + "\n" +
      tr("tip_carries", { from: from, product: fmt(v) + " \u00d7 " + fmt(src) + " = " + fmt(v * src) });
  }

  // ---- choosing the sample, and the epoch -----------------------------------------------------
  function nearest(x) {
    var best = 0, dist = Infinity;
    points().X.forEach(function (p, i) {
      var d = (p[0] - x[0]) * (p[0] - x[0]) + (p[1] - x[1]) * (p[1] - x[1]);
      if (d < dist) { dist = d; best = i; }
    });
    return best;
  }
  function points() { return G.data[frames[k].d || 0]; }  // the points the epoch shown trained on
  function choose(i, x) {  // a data point (x omitted) or a position of the plane (label of the nearest point)
    var D = points(), e = D.extent;
    if (!x && !(i === Math.floor(i) && i >= 0 && i < D.X.length)) { message.textContent = SAY.noPoint(i, D.X.length); return; }
    if (x && !(x[0] >= e[0] && x[0] <= e[1] && x[1] >= e[2] && x[1] <= e[3])) { message.textContent = SAY.outside(x, e); return; }
    var near = x ? nearest(x) : i;
    sample = {i: x ? null : i, x: x || D.X[i].slice(), y: D.y[near], near: near, gone: false};
    update();
  }
  function follow() {  // the chosen data point in the points of the epoch shown (added or removed points move it)
    if (sample.i === null) return;
    var X = points().X, at = -1;
    for (var i = 0; i < X.length && at < 0; i++) if (X[i][0] === sample.x[0] && X[i][1] === sample.x[1]) at = i;
    sample.gone = at < 0;
    if (at >= 0) sample.i = sample.near = at;
  }
  function label(v) { return G.loss.kind === "cross_entropy" ? Math.round(v) : v; }
  function marker() {  // a ring round the chosen input on the output map
    var box = current && current.querySelector(".cg-boundary");
    if (!box || !sample) return;
    var old = box.querySelector(".cg-chosen");
    if (old) old.parentNode.removeChild(old);
    var e = points().extent, w = +box.getAttribute("width"), h = +box.getAttribute("height");
    el("circle", {cx: (sample.x[0] - e[0]) / (e[1] - e[0]) * w, cy: (e[3] - sample.x[1]) / (e[3] - e[2]) * h, r: 10,
                  fill: "none", stroke: "#212121", "stroke-width": 2.2, "stroke-dasharray": "3 2", "class": "cg-chosen",
                  "pointer-events": "none"}, box);
  }
  function update() {
    var frame = frames[k];
    count.textContent = tr("count", { epoch: frame.epoch, k: k + 1, n: frames.length }) +
      (G ? "  \u00b7  " + SAY.points(points().X.length) : "");
    if (!G) return;
    message.textContent = "";
    follow();
    marker();
    var r = replay(layersAt(k), sample.x, label(sample.y));
    draw(r);
    var where = sample.gone ? tr("where_gone") : sample.i !== null ? tr("where_point", { i: sample.i + 1, n: points().X.length })
      : tr("where_plane", { near: sample.near + 1 });
    caption.textContent = tr("caption", { x0: fmt(sample.x[0]), x1: fmt(sample.x[1]), y: r.y, where: where,
                                          epoch: frame.epoch, loss: fmt(r.loss) }) +
      (G.dtype !== "float64" ? tr("dtype", { dtype: G.dtype }) : "");
  }
  function show(i) {
    k = Math.max(0, Math.min(frames.length - 1, i));
    // each frame parsed once (markup written by viz.live itself, its text escaped there) and kept, hidden,
    // so scrubbing back shows it without parsing and decoding its pictures again
    if (!shown[k]) {
      shown[k] = document.createElement("div");
      shown[k].innerHTML = frames[k].html;
      view.appendChild(shown[k]);
    }
    if (current && current !== shown[k]) {
      // off screen a frame is neither laid out nor painted (content-visibility), and holds the height of the
      // one it replaces so the page below does not jump
      shown[k].style.containIntrinsicBlockSize = "auto " + current.offsetHeight + "px";
      current.style.display = "none"; current.className = "";
    }
    current = shown[k];
    current.style.display = "";
    current.className = "cg-shown";
    slider.value = k;
    update();
  }
  function stop() { if (timer) clearInterval(timer); timer = null; button.textContent = tr("play"); }
  function play() {
    if (k >= frames.length - 1) show(0);
    button.textContent = tr("pause");
    timer = setInterval(function () { if (k >= frames.length - 1) stop(); else show(k + 1); }, 120);
  }
  view.addEventListener("click", function (ev) {
    if (!G) return;
    var t = ev.target;
    if (t.classList && t.classList.contains("cg-point")) { stop(); choose(+t.getAttribute("data-i")); return; }
    var box = t.closest ? t.closest(".cg-boundary") : null;
    if (!box) return;
    var rect = box.getBoundingClientRect(), e = points().extent;
    var fx = (ev.clientX - rect.left) / rect.width, fy = (ev.clientY - rect.top) / rect.height;
    if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) return;
    stop();
    choose(null, [e[0] + fx * (e[1] - e[0]), e[3] - fy * (e[3] - e[2])]);
  });
  button.addEventListener("click", function () { if (timer) stop(); else play(); });
  var pending = null;  // a dragged slider fires input events faster than frames: show the last, once a frame
  slider.addEventListener("input", function () {
    stop();
    if (pending === null) requestAnimationFrame(function () { var i = pending; pending = null; show(i); });
    pending = +slider.value;
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === " ") { ev.preventDefault(); if (timer) stop(); else play(); }
    else if (ev.key === "ArrowRight") { stop(); show(k + 1); }
    else if (ev.key === "ArrowLeft") { stop(); show(k - 1); }
  });

  slider.max = frames.length - 1;
  if (G) {
    var wires = 0;
    G.layers.forEach(function (s) { wires += s.in * s.out; });
    legend.textContent = tr("legend") + " " +
      (wires > 300 ? tr("legend_many", { wires: wires.toLocaleString("en"), drawn: Math.min(wires, PAINTED).toLocaleString("en") })
                   : tr("legend_few"));
    var D0 = G.data[frames[k].d || 0];
    sample = {i: 0, x: D0.X[0].slice(), y: D0.y[0], near: 0, gone: false};
  } else {
    message.textContent = tr("no_weights");
  }
  window.cgLive = {
    current: function () { if (last) sync(); return last && {epoch: frames[k].epoch, x: last.x, y: last.y, loss: last.loss, z: last.z, a: last.a,
                                            gz: last.gz, ga: last.ga, gW: last.gW, gb: last.gb}; },
    epochs: function () { return frames.map(function (fr) { return fr.epoch; }); },
    show: function (i) { stop(); show(i); },
    epoch: function (e) { stop(); goTo(e); },
    choose: function (i, x) { stop(); choose(i, x); }
  };
  function goTo(e) {  // a training epoch (not an index): the nearest recorded one, saying so when it is not recorded
    var best = frames.length - 1;
    frames.forEach(function (fr, i) { if (Math.abs(fr.epoch - e) < Math.abs(frames[best].epoch - e)) best = i; });
    show(best);
    if (frames[best].epoch !== e) message.textContent = SAY.notRecorded(e, frames[best].epoch);
  }
  function asked() { return /[#&]epoch=(-?\d+)/.exec(location.hash); }  // page.html#epoch=300 opens at epoch 300
  window.addEventListener("hashchange", function () { if (asked()) { stop(); goTo(+asked()[1]); } });
  if (asked()) goTo(+asked()[1]); else show(frames.length - 1);
})();
