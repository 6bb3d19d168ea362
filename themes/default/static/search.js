// Site search in the browser, over the index that `communities build` writes under /search/
// (see src/search/). It fetches the manifest and the packed facet values once, then per word
// only the shard holding it, and the result data of the pages it shows.
(() => {
  'use strict';

  const root = document.getElementById('search');
  if (!root || !window.fetch || !window.TextDecoder || !window.URLSearchParams) return;

  const PAGE_SIZE = 10;
  const DEBOUNCE_MS = 200;
  // A typed prefix is expanded to every word it starts once it has this many letters...
  const MIN_PREFIX = 3;
  // ...and when those words fill at most this many shards; otherwise only the word itself.
  const MAX_PREFIX_SHARDS = 2;
  // Words found through the prefix count for less than the typed word and its own forms.
  const PREFIX_WEIGHT = 0.5;

  const base = root.dataset.index;
  const $ = (id) => document.getElementById(id);
  const form = $('search-form');
  const input = $('search-q');
  const facetBox = $('search-facets');
  const status = $('search-status');
  const list = $('search-results');
  const more = $('search-more');

  let manifest = null;
  // Per facet, each page's packed field (a bitmask, or value position + 1).
  let fields = [];
  let stopWords = new Set();
  const shards = new Map();
  const pages = new Map();
  const state = { q: '', filters: {} };
  let hits = [];
  let shown = 0;
  let runs = 0;
  let typing = false;
  let timer = 0;

  // The same folding and splitting as src/search/text.rs.
  const fold = (s) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const queryWords = (s) => [
    ...new Set(fold(s).split(/[^\p{Alphabetic}\p{N}]+/u).filter((w) => [...w].length > 1 && !stopWords.has(w))),
  ];

  async function get(path, type) {
    const response = await fetch(`${base}${path}?v=${manifest.version}`);
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response[type]();
  }

  function cached(cache, key, load) {
    if (!cache.has(key)) {
      const promise = load();
      cache.set(key, promise);
      promise.catch(() => cache.delete(key));
    }
    return cache.get(key);
  }

  function decodeShard(buffer) {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    let pos = 0;
    const next = () => {
      let n = 0;
      let scale = 1;
      let b;
      do {
        b = bytes[pos++];
        n += (b & 0x7f) * scale;
        scale *= 128;
      } while (b & 0x80);
      return n;
    };
    const stems = [];
    for (let s = next(); s > 0; s--) {
      const max = view.getFloat32(pos, true);
      pos += 4;
      const n = next();
      const docs = new Uint32Array(n);
      const scores = new Float32Array(n);
      let doc = 0;
      for (let i = 0; i < n; i++) {
        doc += next();
        docs[i] = doc;
        scores[i] = (max * bytes[pos++]) / 255;
      }
      stems.push({ docs, scores });
    }
    const decoder = new TextDecoder();
    const words = [];
    let previous = new Uint8Array(0);
    for (let w = next(); w > 0; w--) {
      const shared = next();
      const length = next();
      const word = new Uint8Array(shared + length);
      word.set(previous.subarray(0, shared));
      word.set(bytes.subarray(pos, pos + length), shared);
      pos += length;
      words.push({ word: decoder.decode(word), stem: stems[next()] });
      previous = word;
    }
    return words;
  }

  /** The shard whose range holds `word`: the last whose key is not after it. */
  function shardOf(word) {
    const keys = manifest.keys;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (keys[mid] <= word) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  const shard = (i) => cached(shards, i, () => get(`shards/${i}.bin`, 'arrayBuffer').then(decodeShard));
  const page = (i) => cached(pages, i, () => get(`pages/${i}.json`, 'json'));

  /** Each page's score for one query word (0: no match): its stem's pages, and those of the words it begins. */
  async function matchWord(q) {
    const first = shardOf(q);
    let last = shardOf(`${q}\uffff`);
    const prefix = [...q].length >= MIN_PREFIX && last - first < MAX_PREFIX_SHARDS;
    if (!prefix) last = first;
    const loads = [];
    for (let i = first; i <= last; i++) loads.push(shard(i));
    const entries = (await Promise.all(loads)).flat();
    const own = new Set(entries.filter((e) => e.word === q).map((e) => e.stem));
    const done = new Set();
    const scores = new Float32Array(manifest.pages);
    for (const { word, stem } of entries) {
      if (done.has(stem) || !(word === q || (prefix && word.startsWith(q)))) continue;
      done.add(stem);
      const weight = own.has(stem) ? 1 : PREFIX_WEIGHT;
      for (let i = 0; i < stem.docs.length; i++) {
        const doc = stem.docs[i];
        scores[doc] = Math.max(scores[doc], stem.scores[i] * weight);
      }
    }
    return scores;
  }

  /** Pages that match every word (in page order), and each page's summed score. */
  async function match(words) {
    const each = await Promise.all(words.map(matchWord));
    const total = new Float32Array(manifest.pages);
    const docs = [];
    for (let doc = 0; doc < total.length; doc++) {
      let sum = 0;
      for (const scores of each) {
        if (!scores[doc]) {
          sum = 0;
          break;
        }
        sum += scores[doc];
      }
      if (sum) {
        total[doc] = sum;
        docs.push(doc);
      }
    }
    return { docs, total };
  }

  function unpackFacets(bytes) {
    const width = manifest.facetBytes;
    fields = manifest.facets.map(() => new Uint32Array(manifest.pages));
    for (let doc = 0; doc < manifest.pages; doc++) {
      let packed = 0;
      for (let i = width - 1; i >= 0; i--) packed = packed * 256 + bytes[doc * width + i];
      manifest.facets.forEach((f, j) => {
        fields[j][doc] = Math.floor(packed / 2 ** f.shift) % 2 ** f.bits;
      });
    }
  }

  /** The values of facet `j` a packed field holds, as positions. */
  function valuesOf(j, field) {
    if (!manifest.facets[j].multi) return field ? [field - 1] : [];
    const out = [];
    for (let v = 0; field; v++, field = Math.floor(field / 2)) if (field % 2) out.push(v);
    return out;
  }

  /** Per facet, whether each possible field passes its selected values (null: no selection). */
  function selections() {
    return manifest.facets.map((f, j) => {
      const chosen = state.filters[f.name] || new Set();
      if (!f.values.some((v) => chosen.has(v.value))) return null;
      const fieldsSeen = new Map();
      return (field) => {
        if (!fieldsSeen.has(field)) fieldsSeen.set(field, valuesOf(j, field).some((v) => chosen.has(f.values[v].value)));
        return fieldsSeen.get(field);
      };
    });
  }

  /**
   * Results and facet counts. A page counts towards a facet's values when it passes the
   * filters of every other facet, so choosing a value never hides its siblings' counts.
   */
  function filter(candidates, passes) {
    const facets = manifest.facets;
    const counts = facets.map((f) => new Array(f.values.length).fill(0));
    const passing = [];
    for (const doc of candidates) {
      let failed = -1;
      let failures = 0;
      for (let j = 0; j < facets.length && failures < 2; j++) {
        if (passes[j] && !passes[j](fields[j][doc])) {
          failures++;
          failed = j;
        }
      }
      if (failures > 1) continue;
      if (failures === 0) passing.push(doc);
      for (let j = 0; j < facets.length; j++) {
        if (failures === 0 || j === failed) for (const v of valuesOf(j, fields[j][doc])) counts[j][v]++;
      }
    }
    return { passing, counts };
  }

  async function run() {
    const run = ++runs;
    const words = queryWords(state.q);
    const passes = selections();
    const filtering = passes.some(Boolean);
    let found = null;
    try {
      if (words.length) found = await match(words);
    } catch {
      if (run === runs) announce('Search is not available right now. Please try again.');
      return;
    }
    if (run !== runs) return;
    const candidates = found ? found.docs : [...Array(manifest.pages).keys()];
    const { passing, counts } = filter(candidates, passes);
    showCounts(counts);
    hits = words.length || filtering ? passing : [];
    // Page numbers run newest first, so ties go to the newer page.
    if (found) hits.sort((a, b) => found.total[b] - found.total[a] || a - b);
    const hadFocus = list.contains(document.activeElement);
    list.replaceChildren();
    shown = 0;
    await showMore(run, words);
    if (run !== runs) return;
    if (hadFocus) input.focus();
    if (!words.length && !filtering) announce('');
    else announce(`${hits.length} ${hits.length === 1 ? 'result' : 'results'}${words.length ? ` for “${state.q.trim()}”` : ''}${filtering ? ' with the chosen filters' : ''}`);
  }

  async function showMore(run, words) {
    const batch = hits.slice(shown, shown + PAGE_SIZE);
    let data;
    try {
      data = await Promise.all(batch.map(page));
    } catch {
      if (run === runs) announce('Search is not available right now. Please try again.');
      return [];
    }
    if (run !== runs) return [];
    const items = data.map((d) => result(d, words));
    list.append(...items);
    shown += batch.length;
    more.hidden = shown >= hits.length;
    return items;
  }

  function result(data, words) {
    const item = document.createElement('li');
    item.className = 'search-result';
    const heading = document.createElement('h2');
    const link = document.createElement('a');
    link.href = data.url;
    link.textContent = data.title;
    heading.append(link);
    const meta = document.createElement('p');
    meta.className = 'search-result-meta';
    const kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = data.kind;
    meta.append(kind);
    if (data.date) {
      const time = document.createElement('time');
      time.dateTime = data.date.iso;
      time.textContent = data.date.display;
      meta.append(' · ', time);
    }
    const url = document.createElement('p');
    url.className = 'search-result-url';
    url.textContent = data.url;
    item.append(heading, meta, excerpt(data, words), url);
    return item;
  }

  const marks = (word, words) => {
    const folded = fold(word);
    return words.some((w) => folded.startsWith(w));
  };

  /** Some thirty words around the first matched one, the matched words in <mark>. */
  function excerpt(data, words) {
    const p = document.createElement('p');
    p.className = 'search-excerpt';
    const texts = [data.summary, data.text].filter(Boolean);
    let parts = (texts[0] || '').split(/([\p{Alphabetic}\p{N}]+)/u);
    let hit = -1;
    for (const text of texts) {
      const split = text.split(/([\p{Alphabetic}\p{N}]+)/u);
      const at = split.findIndex((part, i) => i % 2 === 1 && marks(part, words));
      if (at >= 0) {
        parts = split;
        hit = at;
        break;
      }
    }
    const start = hit > 16 ? hit - 16 : 0;
    const end = Math.min(parts.length, start + 60);
    if (start > 0) p.append('… ');
    for (let i = start; i < end; i++) {
      if (i % 2 === 1 && marks(parts[i], words)) {
        const mark = document.createElement('mark');
        mark.textContent = parts[i];
        p.append(mark);
      } else {
        p.append(parts[i]);
      }
    }
    if (end < parts.length) p.append(' …');
    return p;
  }

  let lastAnnounced = null;
  function announce(text) {
    if (text !== lastAnnounced) status.textContent = text;
    lastAnnounced = text;
  }

  function buildFacets() {
    manifest.facets.forEach((facet) => {
      if (!facet.values.length) return;
      const set = document.createElement('fieldset');
      set.className = 'search-facet';
      const legend = document.createElement('legend');
      legend.textContent = facet.label;
      const ul = document.createElement('ul');
      facet.values.forEach((value, v) => {
        const li = document.createElement('li');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.id = `search-${facet.name}-${v}`;
        box.name = facet.name;
        box.value = value.value;
        box.addEventListener('change', () => {
          const chosen = (state.filters[facet.name] ||= new Set());
          if (box.checked) chosen.add(value.value);
          else chosen.delete(value.value);
          commit();
        });
        const label = document.createElement('label');
        label.htmlFor = box.id;
        const count = document.createElement('span');
        count.className = 'search-count';
        count.id = `search-${facet.name}-${v}-count`;
        label.append(`${value.name} `, count);
        li.append(box, label);
        ul.append(li);
      });
      set.append(legend, ul);
      facetBox.append(set);
    });
  }

  function showCounts(counts) {
    manifest.facets.forEach((facet, j) => {
      counts[j].forEach((n, v) => {
        const count = $(`search-${facet.name}-${v}-count`);
        if (count) count.textContent = `(${n})`;
      });
    });
  }

  function readUrl() {
    const params = new URLSearchParams(location.search);
    state.q = params.get('q') || '';
    state.filters = {};
    for (const facet of manifest.facets) state.filters[facet.name] = new Set(params.getAll(facet.name));
    input.value = state.q;
    for (const box of facetBox.querySelectorAll('input[type=checkbox]')) {
      box.checked = state.filters[box.name].has(box.value);
    }
  }

  function stateUrl() {
    const params = new URLSearchParams();
    if (state.q.trim()) params.set('q', state.q.trim());
    for (const facet of manifest.facets) {
      for (const v of facet.values) if (state.filters[facet.name]?.has(v.value)) params.append(facet.name, v.value);
    }
    const query = params.toString();
    return location.pathname + (query ? `?${query}` : '');
  }

  /** Records the state in the address: a new history entry, or the current one while typing. */
  function record(push) {
    const url = stateUrl();
    if (url !== location.pathname + location.search) history[push ? 'pushState' : 'replaceState'](null, '', url);
  }

  /** A finished step (a submit, a filter): its own history entry. */
  function commit() {
    clearTimeout(timer);
    state.q = input.value;
    record(!typing);
    typing = false;
    run();
  }

  async function start() {
    try {
      const response = await fetch(`${base}manifest.json`, { cache: 'no-cache' });
      if (!response.ok) throw new Error(String(response.status));
      manifest = await response.json();
      unpackFacets(new Uint8Array(await get('facets.bin', 'arrayBuffer')));
    } catch {
      announce('Search is not available right now. Please try again later.');
      return;
    }
    stopWords = new Set(manifest.stopWords);
    $('search-nojs').hidden = true;
    form.hidden = false;
    buildFacets();
    // Wide screens show the filters; on phones they stay folded until asked for.
    $('search-filters').open = window.matchMedia('(min-width: 40rem)').matches;
    readUrl();
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      commit();
    });
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state.q = input.value;
        // The first keystrokes of a new query make a history entry; the rest update it.
        record(!typing);
        typing = true;
        run();
      }, DEBOUNCE_MS);
    });
    more.addEventListener('click', async () => {
      const items = await showMore(runs, queryWords(state.q));
      items[0]?.querySelector('a').focus();
    });
    window.addEventListener('popstate', () => {
      clearTimeout(timer);
      typing = false;
      readUrl();
      run();
    });
    run();
  }

  start();
})();
