// sampler.js: fakeit's generator in the browser with ONNX Runtime Web.
// model.json (written by fakeit export --web) says the generator's sizes and
// training batch; fakes are drawn a whole batch at a time because batch norm
// runs in training mode, as fakeit samples. The noise comes from this page's
// own generator (mulberry32 + Box-Muller), so a seed here draws other fakes
// than the same seed in fakeit sample.
'use strict';
const $ = id => document.getElementById(id);
const state = { z: null, chosen: 0, target: null, fakes: null, busy: false };
let M, G, SR = null;

function setStatus(text, s) {
  $('status').textContent = text;
  if (s) document.body.dataset.state = s;
}

function rng(seed) {
  let a = seed >>> 0;
  const next = () => {  // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {  // standard normal (Box-Muller)
    const u = 1 - next(), v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function noise(seed, n) {
  const g = rng(seed), z = new Float32Array(n);
  for (let i = 0; i < n; i++) z[i] = g();
  return z;
}

// spherical interpolation, as fakeit interp walks
function slerp(a, b, t) {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  const c = Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb))), om = Math.acos(c), so = Math.sin(om);
  return a.map((v, i) => (so < 1e-9 ? (1 - t) * v + t * b[i] : (Math.sin((1 - t) * om) / so) * v + (Math.sin(t * om) / so) * b[i]));
}

async function generate(z) {
  const out = await G.run({ noise: new ort.Tensor('float32', z, [M.batch, M.nz, 1, 1]) });
  return out.image.data;  // (batch, nc, S, S) in [-1, 1]
}

// image k of planar floats (C, S, S) as RGBA bytes
function rgba(data, k, C, S, scale, offset) {
  const img = new ImageData(S, S), P = S * S, base = k * C * P;
  for (let p = 0; p < P; p++)
    for (let c = 0; c < 3; c++) {
      const v = Math.round(data[base + (C === 3 ? c : 0) * P + p] * scale + offset);
      img.data[4 * p + c] = Math.max(0, Math.min(255, v));
    }
  for (let p = 0; p < P; p++) img.data[4 * p + 3] = 255;
  return img;
}

function drawGrid() {
  const S = M.isize, per = Math.min(8, M.batch), rows = Math.ceil(M.batch / per), pad = 2;
  const c = $('grid');
  c.width = per * (S + pad) + pad, c.height = rows * (S + pad) + pad;
  c.style.width = `${Math.min(960, c.width * Math.max(1, Math.floor(640 / c.width)))}px`;
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  for (let k = 0; k < M.batch; k++)
    ctx.putImageData(rgba(state.fakes, k, M.nc, S, 127.5, 127.5), pad + (k % per) * (S + pad), pad + Math.floor(k / per) * (S + pad));
  ctx.strokeStyle = '#d62728';
  ctx.lineWidth = 1;
  ctx.strokeRect(pad + (state.chosen % per) * (S + pad) - 1.5, pad + Math.floor(state.chosen / per) * (S + pad) - 1.5, S + 3, S + 3);
}

async function draw() {
  if (state.busy) return;
  state.busy = true;
  const seed = Math.max(0, Math.floor(+$('seed').value || 0));
  setStatus(`drawing ${M.batch} fakes (seed ${seed})…`);
  state.z = noise(seed, M.batch * M.nz);
  state.target = noise(seed + 1000003, M.nz);
  state.fakes = await generate(state.z);
  drawGrid();
  $('latent').value = 0;
  await walk();
  setStatus(`${M.batch} fakes from seed ${seed}; click one to walk from it`, 'ready');
  document.body.dataset.drawn = String(seed);
  state.busy = false;
}

// The chosen fake moved along the walk; the other noise vectors of the batch stay, so batch norm sees the same batch.
async function walk() {
  const steps = +$('latent').max, t = +$('latent').value / steps, k = state.chosen, nz = M.nz;
  const z = state.z.slice();
  z.set(slerp(state.z.subarray(k * nz, (k + 1) * nz), state.target, t), k * nz);
  const y = t === 0 ? state.fakes : await generate(z);
  const c = $('walk'), S = M.isize;
  c.width = S, c.height = S;
  c.style.width = `${S * Math.max(2, Math.floor(256 / S))}px`;
  c.getContext('2d').putImageData(rgba(y, k, M.nc, S, 127.5, 127.5), 0, 0);
  $('t').textContent = t.toFixed(2);
  document.body.dataset.walked = $('latent').value;
}

async function upscale() {
  const src = $('walk'), S = M.isize, P = S * S;
  const px = src.getContext('2d').getImageData(0, 0, S, S).data, x = new Float32Array(3 * P);
  for (let p = 0; p < P; p++) for (let c = 0; c < 3; c++) x[c * P + p] = px[4 * p + c] / 255;
  const out = await SR.run({ image: new ort.Tensor('float32', x, [1, 3, S, S]) });
  const [, , H] = out.upscaled.dims, big = $('big');
  big.width = H, big.height = H;
  big.style.width = `${Math.max(H, 256)}px`;
  big.getContext('2d').putImageData(rgba(out.upscaled.data, 0, 3, H, 255, 0), 0, 0);
  document.body.dataset.upscaled = '1';
}

async function main() {
  try {
    ort.env.wasm.wasmPaths = './';
    ort.env.wasm.numThreads = 1;  // threads need cross-origin isolation, which a plain file server does not give
    M = await (await fetch('model.json')).json();
    G = await ort.InferenceSession.create('generator.onnx', { executionProviders: ['wasm'] });
    if (M.upscaler) {
      SR = await ort.InferenceSession.create('upscaler.onnx', { executionProviders: ['wasm'] });
      $('sr-box').hidden = false;
    }
    $('about').textContent = `${M.nc === 3 ? 'RGB' : 'grey'} ${M.isize}×${M.isize} fakes, noise of ${M.nz}, ` +
      `batch ${M.batch}; from ${M.source}${M.iteration ? ` at iteration ${M.iteration}` : ''}` +
      `${M.upscaler ? `; upscaler ×${M.scale}` : ''} · fakeit ${M.version} · ONNX Runtime Web`;
    for (const b of ['draw', 'random', 'latent', 'upscale']) $(b).disabled = false;
    $('draw').onclick = draw;
    $('random').onclick = () => { $('seed').value = Math.floor(Math.random() * 1e6); draw(); };
    $('latent').oninput = () => walk();
    $('upscale').onclick = upscale;
    $('grid').onclick = ev => {
      const c = $('grid'), r = c.getBoundingClientRect(), S = M.isize, per = Math.min(8, M.batch);
      const x = ((ev.clientX - r.left) / r.width) * c.width, y = ((ev.clientY - r.top) / r.height) * c.height;
      const k = Math.floor(y / (S + 2)) * per + Math.floor(x / (S + 2));
      if (k >= 0 && k < M.batch) {
        state.chosen = k;
        drawGrid();
        $('latent').value = 0;
        walk();
      }
    };
    await draw();
  } catch (e) {
    setStatus(`cannot run the model: ${e.message || e}`, 'error');
    console.error(e);
  }
}
main();
