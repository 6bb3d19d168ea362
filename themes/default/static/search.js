// Site search in the browser, over the index that `communities build` writes under /search/
// (see src/search/). It fetches the manifest and the packed facet values once, then per word
// only the shard holding its stem, and the result files holding the pages it shows.

// The Snowball English (Porter2) stemmer, as the build's rust-stemmers applies it to the
// index, so that a word form the site never uses ("volunteered") finds the forms it does.
// tests/browser/stemmer.test.mjs holds both to the same stems for one word list.
const stemEnglish = (() => {
  const EXCEPTIONS = {
    skis: 'ski', skies: 'sky', dying: 'die', lying: 'lie', tying: 'tie', idly: 'idl', gently: 'gentl', ugly: 'ugli',
    early: 'earli', only: 'onli', singly: 'singl', sky: 'sky', news: 'news', howe: 'howe', atlas: 'atlas',
    cosmos: 'cosmos', bias: 'bias', andes: 'andes',
  };
  const KEPT_AFTER_1A = new Set(['inning', 'outing', 'canning', 'herring', 'earring', 'proceed', 'exceed', 'succeed']);
  const STEP2 = [
    ['ization', 'ize'], ['ational', 'ate'], ['fulness', 'ful'], ['ousness', 'ous'], ['iveness', 'ive'],
    ['tional', 'tion'], ['biliti', 'ble'], ['lessli', 'less'], ['entli', 'ent'], ['ation', 'ate'], ['alism', 'al'],
    ['aliti', 'al'], ['ousli', 'ous'], ['iviti', 'ive'], ['fulli', 'ful'], ['enci', 'ence'], ['anci', 'ance'],
    ['abli', 'able'], ['izer', 'ize'], ['ator', 'ate'], ['alli', 'al'], ['bli', 'ble'], ['ogi', 'og'], ['li', ''],
  ];
  const STEP3 = [
    ['ational', 'ate'], ['tional', 'tion'], ['alize', 'al'], ['icate', 'ic'], ['iciti', 'ic'], ['ative', ''],
    ['ical', 'ic'], ['ness', ''], ['ful', ''],
  ];
  const STEP4 = ['ement', 'ance', 'ence', 'able', 'ible', 'ment', 'ant', 'ent', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'ion', 'al', 'er', 'ic'];
  const vowel = (c) => c !== undefined && 'aeiouy'.includes(c);
  /** The start of the region after the first non-vowel that follows a vowel, from `from`. */
  const region = (w, from) => {
    for (let i = from + 1; i < w.length; i++) if (vowel(w[i - 1]) && !vowel(w[i])) return i + 1;
    return w.length;
  };
  /** Whether `w` ends in a short syllable. */
  const shortEnd = (w) => {
    const n = w.length;
    if (n === 2) return vowel(w[0]) && !vowel(w[1]);
    return n > 2 && !vowel(w[n - 3]) && vowel(w[n - 2]) && !vowel(w[n - 1]) && !'wxY'.includes(w[n - 1]);
  };
  const longest = (w, suffixes) => suffixes.find((s) => w.endsWith(typeof s === 'string' ? s : s[0]));

  return (word) => {
    if (Object.hasOwn(EXCEPTIONS, word)) return EXCEPTIONS[word];
    if (word.length < 3) return word;
    let w = word.replace(/^y/, 'Y').replace(/([aeiouy])y/g, '$1Y');
    const special = /^(gener|commun|arsen)/.exec(w);
    const r1 = special ? special[0].length : region(w, 0);
    const r2 = region(w, r1);
    const inR = (suffix, r) => w.length - suffix.length >= r;

    if (w.endsWith('sses')) w = w.slice(0, -2);
    else if (/ie[ds]$/.test(w)) w = w.slice(0, -3) + (w.length > 4 ? 'i' : 'ie');
    else if (w.endsWith('us') || w.endsWith('ss')) {
      // Kept as they are.
    } else if (w.endsWith('s') && /[aeiouy]/.test(w.slice(0, -2))) w = w.slice(0, -1);
    if (KEPT_AFTER_1A.has(w)) return w;

    const s1b = /(eedly|eed|ingly|edly|ing|ed)$/.exec(w)?.[1];
    if (s1b?.startsWith('ee')) {
      if (inR(s1b, r1)) w = w.slice(0, -s1b.length) + 'ee';
    } else if (s1b && /[aeiouy]/.test(w.slice(0, -s1b.length))) {
      w = w.slice(0, -s1b.length);
      if (/(at|bl|iz)$/.test(w)) w += 'e';
      else if (/(bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(w)) w = w.slice(0, -1);
      else if (r1 >= w.length && shortEnd(w)) w += 'e';
    }

    if (w.length > 2 && /[yY]$/.test(w) && !vowel(w[w.length - 2])) w = `${w.slice(0, -1)}i`;

    const s2 = longest(w, STEP2);
    if (s2 && inR(s2[0], r1)) {
      const before = w[w.length - s2[0].length - 1];
      if (s2[0] === 'ogi' ? before === 'l' : s2[0] !== 'li' || 'cdeghkmnrt'.includes(before)) {
        w = w.slice(0, -s2[0].length) + s2[1];
      }
    }

    const s3 = longest(w, STEP3);
    if (s3 && inR(s3[0], r1) && (s3[0] !== 'ative' || inR(s3[0], r2))) w = w.slice(0, -s3[0].length) + s3[1];

    const s4 = longest(w, STEP4);
    if (s4 && inR(s4, r2) && (s4 !== 'ion' || /[st]ion$/.test(w))) w = w.slice(0, -s4.length);

    if (w.endsWith('e')) {
      const rest = w.slice(0, -1);
      if (inR('e', r2) || (inR('e', r1) && !shortEnd(rest))) w = rest;
    } else if (w.endsWith('ll') && inR('l', r2)) {
      w = w.slice(0, -1);
    }
    return w.replace(/Y/g, 'y');
  };
})();

(() => {
  'use strict';

  const root = document.getElementById('search');
  if (!root || !window.fetch || !window.TextDecoder || !window.URLSearchParams || !window.DecompressionStream) return;

  const PAGE_SIZE = 10;
  // While typing, a query whose shards are all at hand runs at once; one that needs a shard
  // waits for a pause in the typing, so that passing words fetch nothing.
  const DEBOUNCE_MS = 200;
  // The live region speaks after a longer pause, so that it reads out the finished query.
  const ANNOUNCE_MS = 600;
  // A typed prefix is expanded to every word it starts once it has this many letters...
  const MIN_PREFIX = 3;
  // ...and when those words fill at most this many shards; otherwise only the word itself.
  const MAX_PREFIX_SHARDS = 2;
  // Words found through the prefix count for less than the typed word and its own forms.
  const PREFIX_WEIGHT = 0.5;
  // A word that matches nothing is corrected to a word of the index this many edits away
  // (letters added, dropped, changed or swapped), fewer for short words.
  const maxEdits = (word) => (word.length >= 5 ? 2 : word.length >= 3 ? 1 : 0);
  // Close words offered when nothing is found.
  const SUGGESTIONS = 3;
  // A word that finds fewer pages than this is offered a word one edit away that finds this many
  // times more ("chance": did you mean "change"?); its own results stay, as it may be meant.
  const FEW_RESULTS = 3;
  const MANY_TIMES = 10;
  // An excerpt is the best matching sentence, with those after it up to this many words.
  const EXCERPT_WORDS = 30;

  const base = root.dataset.index;
  const $ = (id) => document.getElementById(id);
  const form = $('search-form');
  const input = $('search-q');
  const facetBox = $('search-facets');
  const status = $('search-status');
  const list = $('search-results');
  const more = $('search-more');
  const correction = $('search-correction');
  const help = $('search-help');

  let manifest = null;
  // Per facet, each page's packed field (a bitmask, or value position + 1).
  let fields = [];
  let stopWords = new Set();
  const shards = new Map();
  const results = new Map();
  // `exact`: the query's words as typed, without correcting typos.
  const state = { q: '', filters: {}, exact: false };
  let hits = [];
  // The folded words of the index that the query matched, to mark in excerpts.
  let marked = new Set();
  let shown = 0;
  let runs = 0;
  let typing = false;
  let timer = 0;

  // The same folding and splitting as src/search/text.rs.
  // ASCII text, nearly every word, has nothing to decompose: skipping that keeps excerpts quick.
  const fold = (s) => (/^[\0-\x7f]*$/.test(s) ? s : s.normalize('NFKD').replace(/\p{M}/gu, '')).toLowerCase();
  const tokens = (s) => fold(s).split(/[^\p{Alphabetic}\p{N}]+/u);
  const queryWords = (s) => [...new Set(tokens(s).filter((w) => [...w].length > 1 && !stopWords.has(w)))];

  /** An index file (all are stored zlib-compressed), inflated. */
  async function inflated(path, init) {
    const response = await fetch(`${base}${path}`, init);
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return new Response(response.body.pipeThrough(new DecompressionStream('deflate')));
  }
  const get = async (path, type) => (await inflated(`${path}?v=${manifest.version}`))[type]();

  function cached(cache, key, load) {
    if (!cache.has(key)) {
      const promise = load();
      cache.set(key, promise);
      promise.catch(() => cache.delete(key));
    }
    return cache.get(key);
  }

  /** A shard's stems in order: { stem, docs, scores, words }. */
  function decodeShard(buffer) {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
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
    // Bytes shared with `base`, then the rest.
    const text = (base) => {
      const shared = next();
      const length = next();
      const out = new Uint8Array(shared + length);
      out.set(base.subarray(0, shared));
      out.set(bytes.subarray(pos, pos + length), shared);
      pos += length;
      return out;
    };
    const stems = [];
    let previous = new Uint8Array(0);
    for (let s = next(); s > 0; s--) {
      const stem = text(previous);
      previous = stem;
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
      const words = [];
      for (let w = next(); w > 0; w--) words.push(decoder.decode(text(stem)));
      stems.push({ stem: decoder.decode(stem), docs, scores, words });
    }
    return stems;
  }

  /** The shard whose range holds `stem`: the last whose key is not after it. */
  function shardOf(stem) {
    const keys = manifest.keys;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (keys[mid] <= stem) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // Shards fetched and decoded, by number.
  const loaded = new Map();
  const shard = (i) =>
    cached(shards, i, () =>
      get(`shards/${i}.bin`, 'arrayBuffer').then((buffer) => {
        loaded.set(i, decodeShard(buffer));
        return loaded.get(i);
      }),
    );
  const entryOf = (stems, stem) => stems.find((e) => e.stem === stem);
  /** A page's result data, from the file it shares with the pages numbered next to it. */
  const page = async (i) => {
    const file = Math.floor(i / manifest.resultsPerFile);
    const data = await cached(results, file, () => get(`results/${file}.bin`, 'json'));
    return data[i % manifest.resultsPerFile];
  };

  /**
   * The shards a query word needs besides its stem's when the index lacks that stem: its own
   * (where the words it begins start) and the few after that hold the stems it begins, if they
   * are few enough to expand the prefix.
   */
  function prefixShards(q) {
    const from = shardOf(q);
    const to = shardOf(`${q}\uffff`);
    const prefix = [...q].length >= MIN_PREFIX && to - from < MAX_PREFIX_SHARDS;
    const wanted = [from];
    if (prefix) for (let i = from + 1; i <= to; i++) wanted.push(i);
    return { wanted, prefix };
  }

  /** Whether a query word would run without fetching anything. */
  function atHand(q) {
    const stem = stemEnglish(q);
    const home = loaded.get(shardOf(stem));
    return home && (entryOf(home, stem) || prefixShards(q).wanted.every((i) => loaded.has(i)));
  }

  /** Edits (added, dropped, changed or swapped letters) from `a` to `b`, or `max + 1` if more. */
  function edits(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    let before = null;
    let previous = [...Array(b.length + 1).keys()];
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      let least = i;
      for (let j = 1; j <= b.length; j++) {
        let d = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (before && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
        row.push(d);
        least = Math.min(least, d);
      }
      if (least > max) return max + 1;
      before = previous;
      previous = row;
    }
    return previous[b.length];
  }

  /** The index's words closest to `word` among `stems`, fewest edits first, then the most used. */
  function closest(word, stems, max = maxEdits(word)) {
    const found = [];
    for (const entry of stems) {
      for (const candidate of entry.words) {
        const d = edits(word, candidate, max);
        if (d <= max && candidate !== word) found.push({ word: candidate, entry, d });
      }
    }
    return found.sort((a, b) => a.d - b.d || b.entry.docs.length - a.entry.docs.length);
  }

  /**
   * One query word: each page's score (0: no match), the words of the index it matched (to
   * mark in excerpts), the word it was corrected to, close words to suggest, and a more used
   * word to offer if it finds only a few pages.
   * It matches its stem's pages or, if the index lacks its stem, those of the stems and words
   * it begins.
   */
  async function matchWord(q, correct) {
    const stem = stemEnglish(q);
    const home = shardOf(stem);
    let entries = await shard(home);
    const own = entryOf(entries, stem);
    // A word the index has is matched by its stem alone; only other words are expanded.
    const { wanted, prefix } = own ? { wanted: [], prefix: false } : prefixShards(q);
    const others = wanted.filter((i) => i !== home);
    if (others.length) entries = entries.concat(...(await Promise.all(others.map(shard))));
    const scores = new Float32Array(manifest.pages);
    const marked = new Set([q]);
    const add = (entry, weight) => {
      entry.words.forEach((w) => marked.add(w));
      for (let i = 0; i < entry.docs.length; i++) {
        const doc = entry.docs[i];
        scores[doc] = Math.max(scores[doc], entry.scores[i] * weight);
      }
    };
    let found = false;
    for (const entry of entries) {
      if (entry.stem === stem) add(entry, 1);
      else if (prefix && (entry.stem.startsWith(q) || entry.words.some((w) => w.startsWith(q)))) add(entry, PREFIX_WEIGHT);
      else continue;
      found = true;
    }
    if (found) {
      const few = correct && own && own.docs.length < FEW_RESULTS;
      const offered = few
        ? closest(q, entries, 1).find((c) => c.entry !== own && c.entry.docs.length >= MANY_TIMES * own.docs.length)
        : null;
      return { scores, marked, suggestions: [], offered: offered?.word };
    }
    const close = closest(q, entries);
    const suggestions = [...new Set(close.map((c) => c.word))].slice(0, SUGGESTIONS);
    if (!correct || !close.length) return { scores, marked, suggestions };
    add(close[0].entry, 1);
    return { scores, marked, corrected: close[0].word, suggestions: suggestions.slice(1) };
  }

  /**
   * Pages that match every word (in page order), each page's summed score, the words to mark,
   * the corrections made ({ from, to }), close words to the ones that found nothing and more
   * used words to the ones that found few pages.
   */
  async function match(words, correct) {
    const each = await Promise.all(words.map((w) => matchWord(w, correct)));
    const total = new Float32Array(manifest.pages);
    const docs = [];
    for (let doc = 0; doc < total.length; doc++) {
      let sum = 0;
      for (const { scores } of each) {
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
    return {
      docs,
      total,
      marked: new Set(each.flatMap((m) => [...m.marked])),
      corrections: each.flatMap((m, i) => (m.corrected ? [{ from: words[i], to: m.corrected }] : [])),
      suggestions: each.flatMap((m, i) => m.suggestions.map((to) => ({ from: words[i], to }))),
      offers: each.flatMap((m, i) => (m.offered ? [{ from: words[i], to: m.offered }] : [])),
    };
  }

  /** Each page's field per facet, from its position in the manifest's distinct packed values. */
  function unpackFacets(bytes) {
    const width = manifest.facetBytes;
    const byPosition = manifest.facets.map((f) => manifest.fields.map((packed) => Math.floor(packed / 2 ** f.shift) % 2 ** f.bits));
    fields = manifest.facets.map(() => new Uint32Array(manifest.pages));
    for (let doc = 0; doc < manifest.pages; doc++) {
      let position = 0;
      for (let i = width - 1; i >= 0; i--) position = position * 256 + bytes[doc * width + i];
      for (let j = 0; j < fields.length; j++) fields[j][doc] = byPosition[j][position];
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
    // Pages by packed field first, as there are few distinct fields: values are counted once each.
    const byField = facets.map((f) => new Uint32Array(2 ** f.bits));
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
        if (failures === 0 || j === failed) byField[j][fields[j][doc]]++;
      }
    }
    const counts = facets.map((f, j) => {
      const out = new Array(f.values.length).fill(0);
      byField[j].forEach((n, field) => {
        if (n) for (const v of valuesOf(j, field)) out[v] += n;
      });
      return out;
    });
    return { passing, counts };
  }

  async function run() {
    const run = ++runs;
    const typed = state.q.trim();
    const words = queryWords(state.q);
    const passes = selections();
    const filtering = passes.some(Boolean);
    let found = null;
    try {
      if (words.length) found = await match(words, !state.exact);
    } catch {
      if (run === runs) announce('Search is not available right now. Please try again.');
      return;
    }
    if (run !== runs) return;
    const candidates = found ? found.docs : [...Array(manifest.pages).keys()];
    const { passing, counts } = filter(candidates, passes);
    showCounts(counts);
    hits = words.length || filtering ? passing : [];
    // Page numbers run oldest first: ties go to the newer page, and filters alone list newest first.
    if (found) hits.sort((a, b) => found.total[b] - found.total[a] || b - a);
    else hits.reverse();
    const hadFocus = list.contains(document.activeElement);
    list.replaceChildren();
    shown = 0;
    marked = found ? found.marked : new Set();
    await showMore(run);
    if (run !== runs) return;
    if (hadFocus) input.focus();

    const corrected = found?.corrections.length ? correctedQuery(typed, found.corrections) : '';
    const offers = !corrected && hits.length ? (found?.offers ?? []) : [];
    showCorrection(corrected, typed, offers);
    const suggestions = hits.length ? [] : (found?.suggestions ?? []);
    const empty = (words.length || filtering) && !hits.length;
    showHelp(empty, suggestions, typed, filtering);
    const filters = filtering ? ' with the chosen filters' : '';
    if (!words.length && !filtering && tokens(typed).some((w) => stopWords.has(w))) {
      announce(`“${typed}” is too common to search for on its own. Add a more specific word, such as a place, an activity or a group.`);
    } else if (!words.length && !filtering) {
      announce('');
    } else if (empty) {
      announce(`No results${words.length ? ` for “${typed}”` : ''}${filters}.${didYouMean(suggestions)}`);
    } else {
      const n = `${hits.length} ${hits.length === 1 ? 'result' : 'results'}`;
      const query = corrected ? ` for “${corrected}” (corrected from “${typed}”)` : words.length ? ` for “${typed}”` : '';
      announce(`${n}${query}${filters}${offers.length ? '.' : ''}${didYouMean(offers)}`);
    }
  }

  /** " Did you mean “change”?" for words offered in place of the typed ones, if any. */
  const didYouMean = (offers) => (offers.length ? ` Did you mean ${offers.map((s) => `“${s.to}”`).join(' or ')}?` : '');

  /** The query as typed with the corrected words put in. */
  function correctedQuery(typed, corrections) {
    const to = new Map(corrections.map((c) => [c.from, c.to]));
    return tokens(typed)
      .filter(Boolean)
      .map((w) => to.get(w) ?? w)
      .join(' ');
  }

  /** A link to this search with another query; `exact` leaves its words uncorrected. */
  function queryLink(q, exact) {
    const link = document.createElement('a');
    link.href = stateUrl({ ...state, q, exact });
    link.textContent = q;
    link.addEventListener('click', (event) => {
      event.preventDefault();
      input.value = q;
      state.q = q;
      state.exact = exact;
      typing = false;
      record(true);
      run();
    });
    return link;
  }

  /**
   * "Showing results for volunteer. Search instead for volunter", or for words that found few
   * pages "Did you mean change?"
   */
  function showCorrection(corrected, typed, offers) {
    correction.hidden = !corrected && !offers.length;
    correction.replaceChildren();
    if (!corrected) return offerLinks(correction, offers, typed);
    const strong = document.createElement('strong');
    strong.textContent = corrected;
    correction.replaceChildren('Showing results for ', strong, '. Search instead for ', queryLink(typed, true));
  }

  /** What to try when nothing is found: close words, clearing the filters, the listings. */
  function showHelp(empty, suggestions, typed, filtering) {
    help.hidden = !empty;
    const offer = $('search-suggestions');
    offer.hidden = !suggestions.length;
    offer.replaceChildren();
    offerLinks(offer, suggestions, typed);
    $('search-unfilter').hidden = !filtering;
  }

  /** "Did you mean village hall or village halls?": the query with each offered word put in. */
  function offerLinks(paragraph, offers, typed) {
    if (!offers.length) return;
    paragraph.append('Did you mean ');
    offers.forEach((s, i) => {
      if (i) paragraph.append(' or ');
      const words = tokens(typed).filter(Boolean);
      paragraph.append(queryLink(words.map((w) => (w === s.from ? s.to : w)).join(' '), false));
    });
    paragraph.append('?');
  }

  async function showMore(run) {
    const batch = hits.slice(shown, shown + PAGE_SIZE);
    let data;
    try {
      data = await Promise.all(batch.map(page));
    } catch {
      if (run === runs) announce('Search is not available right now. Please try again.');
      return [];
    }
    if (run !== runs) return [];
    const items = data.map(result);
    list.append(...items);
    shown += batch.length;
    more.hidden = shown >= hits.length;
    return items;
  }

  function result(data) {
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
    item.append(heading, meta, excerpt(data), url);
    return item;
  }

  const WORD = /([\p{Alphabetic}\p{N}]+)/u;
  const isMarked = (word) => marked.has(fold(word));

  /**
   * The sentence that holds the most of the matched words (the summary's first if none does),
   * with the sentences after it in the same paragraph up to EXCERPT_WORDS words; never across a
   * heading, which stands on a line of its own. Matched words in <mark>, all as text nodes.
   */
  function excerpt(data) {
    const p = document.createElement('p');
    p.className = 'search-excerpt';
    const lines = [data.summary, ...data.text.split('\n')].filter(Boolean);
    const paragraphs = lines.map((line) => line.split(/(?<=[.!?…])\s+(?=[\p{Lu}\p{N}“"‘'(])/u));
    let best = { line: 0, sentence: 0, score: 0 };
    paragraphs.forEach((sentences, line) =>
      sentences.forEach((text, sentence) => {
        const score = new Set(text.split(WORD).filter((w, i) => i % 2 && isMarked(w)).map(fold)).size;
        if (score > best.score) best = { line, sentence, score };
      }),
    );
    const sentences = paragraphs[best.line] ?? [];
    let text = '';
    for (let i = best.sentence; i < sentences.length; i++) {
      const longer = text ? `${text} ${sentences[i]}` : sentences[i];
      if (text && longer.split(WORD).length > 2 * EXCERPT_WORDS + 1) break;
      text = longer;
    }
    // Words at odd positions.
    const parts = text.split(WORD);
    // A long sentence shows the words around its first match.
    const hit = parts.findIndex((part, i) => i % 2 && isMarked(part));
    const start = hit > 16 ? hit - 16 : 0;
    const end = Math.min(parts.length, start + 2 * EXCERPT_WORDS + 1);
    if (start > 0) p.append('… ');
    for (let i = start; i < end; i++) {
      if (i % 2 === 1 && isMarked(parts[i])) {
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

  // Per facet, each value's list item, checkbox and count; and the facet's fieldset.
  const controls = [];
  const fieldsets = [];

  let lastAnnounced = null;
  let announceTimer = 0;
  function announce(text) {
    clearTimeout(announceTimer);
    const say = () => {
      if (text !== lastAnnounced) status.textContent = text;
      lastAnnounced = text;
    };
    if (typing) announceTimer = setTimeout(say, ANNOUNCE_MS);
    else say();
  }

  function buildFacets() {
    manifest.facets.forEach((facet, j) => {
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
        label.append(`${value.name} `, count);
        li.append(box, label);
        (controls[j] ||= []).push({ li, box, count });
        ul.append(li);
      });
      set.append(legend, ul);
      facetBox.append(set);
      fieldsets[j] = set;
    });
  }

  function showCounts(counts) {
    controls.forEach((values, j) => {
      values.forEach(({ li, box, count }, v) => {
        const n = counts[j][v];
        count.textContent = `(${n})`;
        // A value that would find nothing is not offered, unless it is chosen (to unchoose it).
        li.hidden = !n && !box.checked;
      });
      fieldsets[j].hidden = values.every(({ li }) => li.hidden);
    });
  }

  function readUrl() {
    const params = new URLSearchParams(location.search);
    state.q = params.get('q') || '';
    state.exact = params.has('exact');
    state.filters = {};
    for (const facet of manifest.facets) state.filters[facet.name] = new Set(params.getAll(facet.name));
    input.value = state.q;
    for (const box of facetBox.querySelectorAll('input[type=checkbox]')) {
      box.checked = state.filters[box.name].has(box.value);
    }
  }

  function stateUrl({ q, exact, filters } = state) {
    const params = new URLSearchParams();
    if (q.trim()) params.set('q', q.trim());
    if (exact) params.set('exact', '1');
    for (const facet of manifest.facets) {
      for (const v of facet.values) if (filters[facet.name]?.has(v.value)) params.append(facet.name, v.value);
    }
    const query = params.toString();
    return location.pathname + (query ? `?${query}` : '');
  }

  /** Records the state in the address: a new history entry, or the current one while typing. */
  function record(push) {
    const url = stateUrl();
    if (url !== location.pathname + location.search) history[push ? 'pushState' : 'replaceState'](null, '', url);
  }

  /** The typed query into the state; a changed one is corrected again. */
  function takeQuery() {
    if (input.value !== state.q) state.exact = false;
    state.q = input.value;
  }

  /** A finished step (a submit, a filter): its own history entry. */
  function commit() {
    clearTimeout(timer);
    takeQuery();
    const push = !typing;
    typing = false;
    // Recorded once the results are shown, as changing the history takes a few milliseconds.
    run().then(() => record(push));
  }

  async function start() {
    try {
      manifest = await (await inflated('manifest.bin', { cache: 'no-cache' })).json();
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
      const go = () => {
        takeQuery();
        // The first keystrokes of a new query make a history entry; the rest update it.
        const push = !typing;
        typing = true;
        run().then(() => record(push));
      };
      if (queryWords(input.value).every(atHand)) go();
      else timer = setTimeout(go, DEBOUNCE_MS);
    });
    $('search-clear').addEventListener('click', () => {
      for (const box of facetBox.querySelectorAll('input[type=checkbox]')) box.checked = false;
      for (const chosen of Object.values(state.filters)) chosen.clear();
      commit();
      input.focus();
    });
    more.addEventListener('click', async () => {
      const items = await showMore(runs);
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
