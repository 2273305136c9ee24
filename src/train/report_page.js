// report_page.js: draws RUN/report.html from the JSON fakeit writes into it
// (#run-data): progress, charts (SVG, hover for values), the grids' slider,
// eval's verdicts, the configuration. No library, no network.
'use strict';
const D = JSON.parse(document.getElementById('run-data').textContent);
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs, ...kids) {
  const e = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.appendChild(k);
  return e;
}

function hms(s) {
  if (s == null || !isFinite(s)) return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : m ? `${m} min ${String(r).padStart(2, '0')} s` : `${r} s`;
}

function fmt(v) {
  if (v == null || !isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3).replace(/\.?0+e/, 'e') : Number(v.toPrecision(5)).toString();
}

// ---------------------------------------------------------------------------
// the header: status, iteration, speed, time left

function header() {
  const sec = el('section', { id: 'summary' });
  const h1 = el('h1', { text: `fakeit run ${D.run} ` });
  h1.appendChild(el('span', { class: `status ${D.status}`, id: 'status', text: D.status }));
  sec.appendChild(h1);
  const target = D.target_iters;
  const facts = el('div', { class: 'facts' });
  const fact = (label, value, id) => {
    const d = el('div', { text: label });
    d.prepend(el('b', { text: value, id }));
    facts.appendChild(d);
  };
  fact(target ? `generator iterations of ${target}` : 'generator iterations', String(D.iteration), 'iteration');
  if (D.target_epochs) fact(`epochs of ${D.target_epochs}`, String(D.epoch), 'epoch');
  fact('images / s', fmt(D.images_per_s), 'images-per-s');
  fact('training time', hms(D.seconds));
  fact(D.status === 'training' ? 'time left (ETA)' : 'time left', D.status === 'training' ? hms(D.eta_s) : '–', 'eta');
  sec.appendChild(facts);
  const done = target ? D.iteration / target : D.target_epochs ? D.epoch / D.target_epochs : null;
  if (done !== null) {
    const bar = el('div', { class: 'bar' }, el('div'));
    bar.firstChild.style.width = `${Math.min(100, 100 * done).toFixed(1)}%`;
    sec.appendChild(bar);
  }
  const words = {
    training: `Training: this page reloads itself every ${D.refresh_s} s.`,
    finished: 'The run reached its end.',
    stopped: `The run stopped before its end; continue it with: fakeit train --resume ${D.run_dir}.`,
    diverged: 'The run diverged (a loss or weight went NaN or infinite); nothing was saved after it.',
    failed: 'The run stopped on an error (see its output).',
  };
  sec.appendChild(el('p', { id: 'status-text', text: `${words[D.status] || D.status} Updated ${D.updated}.` }));
  return sec;
}

// ---------------------------------------------------------------------------
// charts

function niceTicks(lo, hi, n) {
  const span = hi - lo || Math.abs(hi) || 1, raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * p).find(s => s >= raw) || 10 * p;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

// lines: [{name, ys, color, width}] over the shared xs
function chart(id, title, xs, lines) {
  const W = 560, H = 250, L = 58, R = 12, T = 10, B = 30;
  let lo = Infinity, hi = -Infinity;
  for (const l of lines) for (const y of l.ys) if (y != null && isFinite(y)) lo = Math.min(lo, y), hi = Math.max(hi, y);
  if (!isFinite(lo)) lo = 0, hi = 1;
  if (lo === hi) lo -= 1, hi += 1;
  const pad = (hi - lo) * 0.05;
  lo -= pad, hi += pad;
  const x0 = xs.length ? xs[0] : 0, x1 = xs.length > 1 ? xs[xs.length - 1] : x0 + 1;
  const sx = x => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R), sy = y => T + ((hi - y) / (hi - lo)) * (H - T - B);
  const svg = el('svg:svg', { class: 'chart', id, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  for (const t of niceTicks(lo, hi, 5)) {
    svg.appendChild(el('svg:line', { class: 'grid', x1: L, x2: W - R, y1: sy(t), y2: sy(t) }));
    svg.appendChild(el('svg:text', { x: L - 6, y: sy(t) + 4, 'text-anchor': 'end', text: fmt(t) }));
  }
  for (const t of niceTicks(x0, x1, 6)) {
    if (t < x0 || t > x1) continue;
    svg.appendChild(el('svg:text', { x: sx(t), y: H - 10, 'text-anchor': 'middle', text: String(t) }));
  }
  svg.appendChild(el('svg:line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  svg.appendChild(el('svg:line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  for (const l of lines) {
    let d = '', pen = false;
    l.ys.forEach((y, i) => {
      if (y == null || !isFinite(y)) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${sx(xs[i]).toFixed(1)} ${sy(y).toFixed(1)}`;
      pen = true;
    });
    svg.appendChild(el('svg:path', { d: d || 'M0 0', fill: 'none', stroke: l.color, 'stroke-width': l.width || 1.5,
                                     class: 'series', 'data-name': l.name }));
    if (xs.length === 1 && l.ys[0] != null)
      svg.appendChild(el('svg:circle', { cx: sx(xs[0]), cy: sy(l.ys[0]), r: 3, fill: l.color }));
  }
  const cursor = el('svg:line', { x1: 0, x2: 0, y1: T, y2: H - B, stroke: '#444', 'stroke-dasharray': '3 3',
                                  visibility: 'hidden' });
  svg.appendChild(cursor);
  const box = el('div', { class: 'chartbox' }, el('h3', { text: title }));
  const legend = el('div', { class: 'legend' });
  for (const l of lines) {
    const s = el('span', { text: l.name });
    const sw = el('i');
    sw.style.background = l.color;
    s.prepend(sw);
    legend.appendChild(s);
  }
  box.appendChild(legend);
  box.appendChild(svg);
  const tip = el('div', { class: 'tip' });
  box.appendChild(tip);
  // hover: the nearest iteration's values
  svg.addEventListener('mousemove', ev => {
    if (!xs.length) return;
    const r = svg.getBoundingClientRect(), px = ((ev.clientX - r.left) / r.width) * W;
    const x = x0 + ((px - L) / (W - L - R)) * (x1 - x0);
    let a = 0, b = xs.length - 1;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (xs[m] < x) a = m; else b = m;
    }
    const i = Math.abs(xs[a] - x) <= Math.abs(xs[b] - x) ? a : b;
    cursor.setAttribute('x1', sx(xs[i])), cursor.setAttribute('x2', sx(xs[i]));
    cursor.setAttribute('visibility', 'visible');
    tip.textContent = '';
    tip.appendChild(el('div', { text: `iteration ${xs[i]}` }));
    for (const l of lines) tip.appendChild(el('div', { text: `${l.name}: ${fmt(l.ys[i])}` }));
    tip.style.display = 'block';
    tip.style.left = `${Math.min(ev.clientX - box.getBoundingClientRect().left + 14, box.clientWidth - 180)}px`;
    tip.style.top = `${ev.clientY - box.getBoundingClientRect().top + 10}px`;
  });
  svg.addEventListener('mouseleave', () => {
    cursor.setAttribute('visibility', 'hidden');
    tip.style.display = 'none';
  });
  return box;
}

function charts() {
  const s = D.series, sec = el('section', { id: 'charts' }, el('h2', { text: 'Losses and quality' }));
  const grid = el('div', { class: 'charts' });
  grid.appendChild(chart('chart-w', 'Wasserstein estimate (−Loss_D, penalty aside)', s.iter, [
    { name: 'raw', ys: s.w, color: '#9ecae1', width: 1 },
    { name: 'median-filtered', ys: s.w_median, color: '#1f77b4', width: 2 },
  ]));
  grid.appendChild(chart('chart-g', 'Loss_G', s.iter, [{ name: 'Loss_G', ys: s.loss_g, color: '#ff7f0e' }]));
  if (s.has_gp)
    grid.appendChild(chart('chart-gp', 'gradient penalty', s.iter, [{ name: 'penalty', ys: s.gp, color: '#9467bd' }]));
  if (D.swd.iter.length)
    grid.appendChild(chart('chart-swd', 'SWD of fakes vs held-out reals (×1000, lower is better)', D.swd.iter, [
      { name: 'SWD', ys: D.swd.swd, color: '#2ca02c', width: 2 },
      { name: 'floor: reals vs reals', ys: D.swd.floor, color: '#7f7f7f', width: 1 },
    ]));
  sec.appendChild(grid);
  if (!s.iter.length) sec.appendChild(el('p', { text: 'No iteration logged yet.' }));
  return sec;
}

// ---------------------------------------------------------------------------
// grids over time

// Small grids drawn larger (up to 4 times, at most `most` pixels wide), pixels kept sharp.
function enlarge(img, most = 500) {
  img.addEventListener('load', () => {
    img.style.width = `${Math.max(img.naturalWidth, Math.min(most, img.naturalWidth * 4))}px`;
  });
  return img;
}

function grids() {
  const sec = el('section', { id: 'grids' }, el('h2', { text: 'Fixed-noise samples over time' }));
  if (!D.grids.length) {
    sec.appendChild(el('p', { text: 'No sample grid yet.' }));
    return sec;
  }
  const key = `fakeit-grid:${D.run}`, last = D.grids.length - 1;
  const kept = sessionStorage.getItem(key);
  const start = kept !== null && +kept < last ? +kept : last;  // follow the newest unless the user looked back
  const slider = el('input', { type: 'range', id: 'grid-slider', min: 0, max: last, step: 1, value: start });
  const label = el('div', { id: 'grid-label' });
  const img = enlarge(el('img', { id: 'grid-image', alt: 'fakes from the fixed noise' }));
  const show = i => {
    img.src = D.grids[i].src;
    label.textContent = `iteration ${D.grids[i].iter} (${i + 1} of ${D.grids.length})`;
  };
  slider.addEventListener('input', () => {
    show(+slider.value);
    sessionStorage.setItem(key, slider.value);
  });
  show(start);
  const fig = el('figure', {}, label, slider, el('br'), img);
  const row = el('div', { class: 'grids' }, fig);
  if (D.real) {
    const real = enlarge(el('img', { src: D.real, alt: 'real images' }));
    row.appendChild(el('figure', {}, el('div', { text: 'real images' }), real));
  }
  sec.appendChild(row);
  return sec;
}

// ---------------------------------------------------------------------------
// eval's verdicts

function evaluation() {
  const e = D.eval;
  if (!e) return null;
  const sec = el('section', { id: 'eval' }, el('h2', { text: 'Evaluation (fakeit eval)' }));
  if (e.swd)
    sec.appendChild(el('p', { text: `SWD of ${e.n} fakes vs reals: ${fmt(e.swd.fake_avg)}, real-vs-real floor ` +
                                     `${fmt(e.swd.real_avg)} (${fmt(e.swd.ratio)}× the floor).` }));
  const verdict = (title, text, bad, warn) => {
    const d = el('div', { class: `verdict${bad ? ' bad' : warn ? ' warn' : ''}` });
    d.appendChild(el('b', { text: `${title}: ` }));
    d.appendChild(document.createTextNode(text));
    sec.appendChild(d);
  };
  if (e.copy) verdict('copies', e.copy.verdict, e.copy.flagged > 0);
  if (e.diversity)
    verdict('diversity', e.diversity.verdict, /COLLAPSE/.test(e.diversity.verdict), /reduced/.test(e.diversity.verdict));
  if (e.sheet_file)
    sec.appendChild(el('figure', {}, el('div', { text: 'fakes closest to training images (top) and those images' }),
                       enlarge(el('img', { src: e.sheet_file, alt: 'nearest training images', id: 'eval-sheet' }), 1000)));
  return sec;
}

function config() {
  const sec = el('section', { id: 'config' }, el('h2', { text: 'Configuration and data' }));
  const t = el('table', { class: 'config' });
  for (const [k, v] of D.config) t.appendChild(el('tr', {}, el('td', { text: k }), el('td', { text: v })));
  sec.appendChild(t);
  return sec;
}

document.body.append(header(), charts(), grids());
const ev = evaluation();
if (ev) document.body.append(ev);
document.body.append(config(), el('footer', { text: `fakeit ${D.version} · ${D.updated}` }));
if (D.status === 'training') {
  document.body.dataset.reload = D.refresh_s;  // says the reload is scheduled
  setTimeout(() => location.reload(), D.refresh_s * 1000);
}
