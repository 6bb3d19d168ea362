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
  const MAX_PREFIX_SHARDS = 3;
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

  /** Page -> score for one query word: its stem's pages, and those of the words it begins. */
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
    const scores = new Map();
    for (const { word, stem } of entries) {
      if (done.has(stem) || !(word === q || (prefix && word.startsWith(q)))) continue;
      done.add(stem);
      const weight = own.has(stem) ? 1 : PREFIX_WEIGHT;
      for (let i = 0; i < stem.docs.length; i++) {
        const score = stem.scores[i] * weight;
        const doc = stem.docs[i];
        if (!(scores.get(doc) >= score)) scores.set(doc, score);
      }
    }
    return scores;
  }

  /** Pages that match every word, with the sum of their scores. */
  async function match(words) {
    const maps = await Promise.all(words.map(matchWord));
    maps.sort((a, b) => a.size - b.size);
    const total = new Map();
    for (const [doc, score] of maps[0]) {
      let sum = score;
      for (let i = 1; i < maps.length && sum >= 0; i++) {
        const s = maps[i].get(doc);
        sum = s === undefined ? -1 : sum + s;
      }
      if (sum >= 0) total.set(doc, sum);
    }
    return total;
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

  /** The positions of the values selected in each facet. */
  function selections() {
    return manifest.facets.map((f) => {
      const chosen = state.filters[f.name] || new Set();
      return f.values.map((v, i) => (chosen.has(v.value) ? i : -1)).filter((i) => i >= 0);
    });
  }

  function has(j, doc, value) {
    const field = fields[j][doc];
    return manifest.facets[j].multi ? Math.floor(field / 2 ** value) % 2 === 1 : field === value + 1;
  }

  /**
   * Results and facet counts. A page counts towards a facet's values when it passes the
   * filters of every other facet, so choosing a value never hides its siblings' counts.
   */
  function filter(candidates, selected) {
    const facets = manifest.facets;
    const counts = facets.map((f) => new Array(f.values.length).fill(0));
    const passing = [];
    for (const doc of candidates) {
      let failed = -1;
      let failures = 0;
      for (let j = 0; j < facets.length && failures < 2; j++) {
        if (selected[j].length && !selected[j].some((v) => has(j, doc, v))) {
          failures++;
          failed = j;
        }
      }
      if (failures > 1) continue;
      if (failures === 0) passing.push(doc);
      for (let j = 0; j < facets.length; j++) {
        if (failures === 0 || j === failed) {
          for (let v = 0; v < counts[j].length; v++) if (has(j, doc, v)) counts[j][v]++;
        }
      }
    }
    return { passing, counts };
  }

  async function run() {
    const run = ++runs;
    const words = queryWords(state.q);
    const selected = selections();
    const filtering = selected.some((s) => s.length);
    let scores = null;
    try {
      if (words.length) scores = await match(words);
    } catch {
      if (run === runs) announce('Search is not available right now. Please try again.');
      return;
    }
    if (run !== runs) return;
    const candidates = scores ? [...scores.keys()] : [...Array(manifest.pages).keys()];
    const { passing, counts } = filter(candidates, selected);
    showCounts(counts);
    hits = words.length || filtering ? passing : [];
    hits.sort(scores ? (a, b) => scores.get(b) - scores.get(a) || a - b : (a, b) => a - b);
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
