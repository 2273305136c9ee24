// onnx_check.mjs: fakeit's ONNX exports run by ONNX Runtime (onnxruntime-node)
// against fakeit's own results.
//
//   node onnx_check.mjs gan G.onnx TENSORS.safetensors [D.onnx]
//     the generator on `fakeit sample --tensors`' noise, batch by batch of the
//     training batch, against its fakes; the critic on those fakes against the
//     scores (written with --rank-by-critic)
//   node onnx_check.mjs sr SR.onnx IN.png OUT.png
//     the upscaler on an image against `fakeit upscale`'s PNG of it
//   node onnx_check.mjs meta FILE.onnx KEY VALUE   a metadata_props entry
// Prints the worst differences; exits 1 when one is over its tolerance.
import { createRequire } from 'node:module';
import { readSafetensors, readPng } from './fkio.mjs';

const require = createRequire(import.meta.url);
const ort = require(process.env.ORT_NODE || 'onnxruntime-node');
const [mode, ...args] = process.argv.slice(2);
let failed = 0;

function check(what, worst, tol) {
  const ok = worst <= tol;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: worst |difference| ${worst.toExponential(3)} (tolerance ${tol})`);
  if (!ok) failed = 1;
}

async function gan([gPath, tPath, dPath]) {
  const t = readSafetensors(tPath);
  const batch = Number(t.__metadata__.batch);
  const [rows, nz] = t.noise.shape, [n, C, S] = t.fakes.shape;
  const img = C * S * S;
  const G = await ort.InferenceSession.create(gPath);
  const D = dPath ? await ort.InferenceSession.create(dPath) : null;
  if (D && !t.scores) throw new Error(`${tPath}: no "scores" (sample with --rank-by-critic)`);
  let worst = 0, worstD = 0;
  for (let b = 0; b * batch < rows; b++) {
    const z = t.noise.data.subarray(b * batch * nz, (b + 1) * batch * nz);
    const out = await G.run({ noise: new ort.Tensor('float32', z, [batch, nz, 1, 1]) });
    const y = out.image.data;
    if (out.image.dims.join() !== [batch, C, S, S].join()) throw new Error(`generator output ${out.image.dims}`);
    const take = Math.min(batch, n - b * batch);
    for (let i = 0; i < take * img; i++) worst = Math.max(worst, Math.abs(y[i] - t.fakes.data[b * batch * img + i]));
    if (D && take === batch) {
      const x = t.fakes.data.subarray(b * batch * img, (b + 1) * batch * img);
      const s = (await D.run({ image: new ort.Tensor('float32', x, [batch, C, S, S]) })).score.data;
      for (let i = 0; i < batch; i++) worstD = Math.max(worstD, Math.abs(s[i] - t.scores.data[b * batch + i]));
    }
  }
  check(`generator, ${n} fakes of ${C}x${S}x${S} in batches of ${batch}`, worst, 1e-4);
  if (D) check('critic scores of those fakes', worstD, 1e-4);
}

async function sr([mPath, inPath, outPath]) {
  const a = readPng(inPath), b = readPng(outPath);
  if (a.channels !== 3 || b.channels !== 3) throw new Error('RGB PNGs expected');
  const { width: w, height: h } = a, plane = w * h;
  const x = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) x[c * plane + p] = a.data[p * 3 + c] / 255;
  const m = await ort.InferenceSession.create(mPath);
  const y = (await m.run({ image: new ort.Tensor('float32', x, [1, 3, h, w]) })).upscaled;
  const [, , H, W] = y.dims;
  if (H !== b.height || W !== b.width) throw new Error(`upscaled ${W}x${H}, fakeit wrote ${b.width}x${b.height}`);
  // fakeit writes rint(v * 255) clamped: the float must lie within half a
  // level of the byte (plus the tolerance, in levels, for other summation orders)
  let worst = 0, differ = 0;
  const P = H * W;
  for (let p = 0; p < P; p++)
    for (let c = 0; c < 3; c++) {
      const v = y.data[c * P + p] * 255, byte = b.data[p * 3 + c];
      const d = byte === 0 ? Math.max(0, v - 0.5) : byte === 255 ? Math.max(0, 254.5 - v) : Math.abs(v - byte) - 0.5;
      worst = Math.max(worst, d);
      if (Math.min(255, Math.max(0, Math.round(v))) !== byte) differ++;
    }
  console.log(`upscaler: ${w}x${h} -> ${W}x${H}, ${differ} of ${3 * P} bytes round differently`);
  check('upscaler against fakeit upscale (levels beyond rounding)', Math.max(0, worst), 0.0255);
}

async function meta([path, key, value]) {
  // metadata_props are not exposed by onnxruntime-node: read the protobuf
  // text plainly (key and value are stored as UTF-8 strings)
  const buf = (await import('node:fs')).readFileSync(path);
  const found = buf.includes(Buffer.from(key)) && buf.includes(Buffer.from(value));
  console.log(`${found ? 'ok  ' : 'FAIL'} metadata ${key} = ${value}`);
  if (!found) failed = 1;
}

const modes = { gan, sr, meta };
if (!modes[mode]) {
  console.error('usage: onnx_check.mjs gan|sr|meta ...');
  process.exit(2);
}
await modes[mode](args);
process.exit(failed);
