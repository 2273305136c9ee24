// browser_check.mjs: fakeit's pages in a real browser (Debian's Chromium,
// driven by playwright-core): the run report and the browser sampler.
//
//   node browser_check.mjs report RUN/report.html ITER CHARTS GRIDS SHOT.png [eval]
//     the report opened as file://: no console error, CHARTS SVG charts with
//     lines, the slider over GRIDS grids (moving it changes the image), the
//     iteration count ITER, hover shows values, eval's verdicts (with "eval"),
//     and a screenshot that is not blank
//   node browser_check.mjs live RUN/report-copy.html
//     a report written while training says so and schedules its reload
//   node browser_check.mjs sampler URL SHOT.png [upscale]
//     the sampler served over http: it draws a grid, two seeds give different
//     images, the latent slider changes the fake, (with "upscale") the
//     upscaler draws a 4x larger image
// Prints a line per check; exits 1 when one fails.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { readPng } from './fkio.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const [mode, ...args] = process.argv.slice(2);
let failed = 0;
function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) failed = 1;
}

// A screenshot is not blank when it has many colours and most pixels are not the background.
function screenshotStats(path) {
  const p = readPng(path), n = p.width * p.height, c = p.channels, bg = p.data.subarray(0, 3);
  const colours = new Set();
  let differ = 0;
  for (let i = 0; i < n; i++) {
    const o = i * c, r = p.data[o], g = p.data[o + 1], b = p.data[o + 2];
    if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) > 30) differ++;
    if (colours.size < 5000) colours.add((r << 16) | (g << 8) | b);
  }
  return { colours: colours.size, share: differ / n };
}

async function open(url) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'],
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  page.on('requestfailed', r => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(url, { waitUntil: 'load' });
  return { browser, page, errors };
}

async function report([file, iter, charts, grids, shot, withEval]) {
  const { browser, page, errors } = await open(pathToFileURL(file).href);
  check('the iteration count', (await page.textContent('#iteration')) === iter, await page.textContent('#iteration'));
  const lines = await page.$$eval('svg.chart', s => s.map(c => c.querySelectorAll('path.series').length));
  check(`${charts} charts, each with its lines`, lines.length === +charts && lines.every(n => n >= 1), `${lines}`);
  const drawn = await page.$$eval('svg.chart path.series', p => p.filter(e => e.getAttribute('d').length > 20).length);
  check('the chart lines have points', drawn >= +charts, `${drawn} drawn`);
  const max = await page.getAttribute('#grid-slider', 'max');
  check(`the slider spans the ${grids} grids`, +max === +grids - 1, `max ${max}`);
  const before = await page.getAttribute('#grid-image', 'src');
  await page.$eval('#grid-slider', s => { s.value = 0; s.dispatchEvent(new Event('input')); });
  const after = await page.getAttribute('#grid-image', 'src');
  check('moving the slider shows another grid', before !== after && /fake_samples_\d+\.png/.test(after), `${before} -> ${after}`);
  const loaded = await page.$eval('#grid-image', i => new Promise(ok => (i.complete ? ok(i.naturalWidth) : (i.onload = () => ok(i.naturalWidth)))));
  check('the grid image loads from beside the report', loaded > 0, `${loaded} px wide`);
  const box = await page.locator('#chart-w').boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  const tip = await page.locator('#charts .tip').first().textContent();
  check('hovering a chart shows the iteration and values', /iteration \d+/.test(tip) && /median-filtered: /.test(tip), tip);
  if (withEval) {
    const verdicts = await page.$$eval('#eval .verdict', v => v.map(e => e.textContent));
    check("eval's copy and diversity verdicts", verdicts.length === 2 && /copies/.test(verdicts[0]), verdicts.join(' | '));
  }
  await page.mouse.move(0, 0);
  await page.screenshot({ path: shot, fullPage: true });
  const st = screenshotStats(shot);
  check('the screenshot is not blank', st.colours > 200 && st.share > 0.02, `${st.colours} colours, ${(100 * st.share).toFixed(1)}% drawn`);
  check('no console errors', errors.length === 0, errors.join(' | '));
  await browser.close();
}

// A report written while the run trains: it says so and schedules its reload.
async function live([file]) {
  const { browser, page, errors } = await open(pathToFileURL(file).href);
  check('a training run says it trains', (await page.textContent('#status')) === 'training');
  check('and reloads itself', (await page.getAttribute('body', 'data-reload')) === '20');
  check('no console errors', errors.length === 0, errors.join(' | '));
  await browser.close();
}

async function sampler([url, shot, upscale]) {
  const { browser, page, errors } = await open(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60000 });
  check('the page loads the model', (await page.getAttribute('body', 'data-state')) === 'ready',
        await page.textContent('#status'));
  const pixels = () => page.$eval('#grid', c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sq = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2], sq += (d[i] + d[i + 1] + d[i + 2]) ** 2;
    const n = d.length / 4, mean = sum / n;
    return { w: c.width, h: c.height, mean, sd: Math.sqrt(sq / n - mean * mean), hash: Array.from(d.slice(0, 4096)).join() };
  });
  await page.fill('#seed', '1');
  await page.click('#draw');
  await page.waitForFunction(() => document.body.dataset.drawn === '1');
  const a = await pixels();
  check('the grid is drawn and not blank', a.w > 0 && a.sd > 5, `${a.w}x${a.h}, spread ${a.sd.toFixed(1)}`);
  await page.fill('#seed', '2');
  await page.click('#draw');
  await page.waitForFunction(() => document.body.dataset.drawn === '2');
  const b = await pixels();
  check('two seeds give different images', a.hash !== b.hash);
  const walk = () => page.$eval('#walk', c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.slice(0, 8192)).join());
  const w0 = await walk();
  await page.$eval('#latent', s => { s.value = s.max; s.dispatchEvent(new Event('input')); });
  await page.waitForFunction(() => document.body.dataset.walked === document.getElementById('latent').max);
  check('the latent slider changes the fake', w0 !== (await walk()));
  if (upscale) {
    await page.click('#upscale');
    await page.waitForFunction(() => document.body.dataset.upscaled === '1', null, { timeout: 60000 });
    const dims = await page.$eval('#big', c => [c.width, c.height]);
    const walkDims = await page.$eval('#walk', c => [c.width, c.height]);
    check('the upscaler draws the chosen fake larger', dims[0] === 4 * walkDims[0] && dims[1] === 4 * walkDims[1], `${dims}`);
  }
  await page.screenshot({ path: shot, fullPage: true });
  const st = screenshotStats(shot);
  check('the screenshot is not blank', st.colours > 100 && st.share > 0.05, `${st.colours} colours`);
  check('no console errors', errors.length === 0, errors.join(' | '));
  await browser.close();
}

const modes = { report, live, sampler };
if (!modes[mode]) {
  console.error('usage: browser_check.mjs report|sampler ...');
  process.exit(2);
}
try {
  await modes[mode](args);
} catch (e) {
  check(`${mode}: ${e.message.split('\n')[0]}`, false);
}
process.exit(failed);
