// Where a wasm's bytes go: code bytes per crate (from its name section, so a build whose
// wasm-opt kept the names: `-g` added to data-wasm-opt-params in frontend/index.html for
// the measurement), the data section, and the largest functions. docs/benchmarks.md,
// "Web app size".
//
//   node scripts/bench/wasm-sizes.mjs DIST/frontend-*_bg.wasm
import fs from 'node:fs';
const buf = fs.readFileSync(process.argv[2]);
let p = 8;
const leb = () => { let r = 0, s = 0, b; do { b = buf[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
let imports = 0, bodies = [], names = new Map(), dataSize = 0;
while (p < buf.length) {
  const id = buf[p++]; const size = leb(); const end = p + size;
  if (id === 2) { const n = leb(); for (let i = 0; i < n; i++) { let l = leb(); p += l; l = leb(); p += l; const kind = buf[p++]; if (kind === 0) { leb(); imports++; } else if (kind === 1) { p++; const f = leb(); leb(); if (f & 1) leb(); } else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); } else if (kind === 3) { p++; p++; } } }
  if (id === 10) { const n = leb(); for (let i = 0; i < n; i++) { const s = leb(); bodies.push(s); p += s; } }
  if (id === 11) dataSize = size;
  if (id === 0) { const nl = leb(); const name = buf.slice(p, p + nl).toString(); p += nl; if (name === 'name') { while (p < end) { const sid = buf[p++]; const ss = leb(); const se = p + ss; if (sid === 1) { const n = leb(); for (let i = 0; i < n; i++) { const idx = leb(); const l = leb(); names.set(idx, buf.slice(p, p + l).toString()); p += l; } } p = se; } } }
  p = end;
}
const byCrate = new Map(); const fns = [];
bodies.forEach((s, i) => { const name = names.get(i + imports) ?? `f${i}`; fns.push([s, name]);
  let crate = 'other'; const m = /^_ZN(\d+)(\w+)/.exec(name); if (m) crate = m[2].slice(0, +m[1]); else if (name.startsWith('<')) { const mm = /^<(?:&(?:mut )?)?([a-z_0-9]+)::/.exec(name); crate = mm ? mm[1] : 'impl'; } else { const mm = /^([a-z_0-9]+)::/.exec(name); crate = mm ? mm[1] : 'other'; }
  byCrate.set(crate, (byCrate.get(crate) ?? 0) + s); });
console.log('functions', bodies.length, 'code', bodies.reduce((a, b) => a + b, 0), 'data', dataSize);
console.log([...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([c, s]) => `${c} ${s}`).join('\n'));
console.log('--- largest');
console.log(fns.sort((a, b) => b[0] - a[0]).slice(0, 25).map(([s, n]) => `${s} ${n.slice(0, 140)}`).join('\n'));
