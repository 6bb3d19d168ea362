//! `communities`: the static site generator of the Leicestershire Communities website.
//!
//! Data flows one way, and every module imports only from the stages before it:
//!
//! - load and parse: `config` (site.yaml, through `yaml`), `content` (finding and parsing the
//!   Markdown files against `models`), `markdown` (bodies, with `autolink`, `highlight`,
//!   `sanitize` and `images`);
//! - model: `site` builds the checked `Site` (with `related`, each case study's related ones);
//!   `links`, `owners` and `publish::check` validate it;
//! - plan: `paths` (site paths and output files), `jobs` (every output page and the pages it
//!   lists), `view` (values shown alike on pages and in search results), `theme` (templates);
//! - render and write: `render` (pages through Tera), `publish` (feed, sitemap, redirects),
//!   `search` (the search index), `cms` (the editor's files), `assets`, into an `output` sink;
//! - drive: `pipeline` runs it all once for `build` and `check`; `incremental` keeps it warm
//!   (with `sources`, the files as last read) and `serve` (with `watch` and `cms_backend`)
//!   serves what it makes.
//!
//! `background_drop` frees large values on a thread of their own, for the model and `serve`;
//! `spill` keeps rendered bodies in a temporary file from rendering to writing, for `build`;
//! `memory` tunes how the process takes and gives back memory for each command.
//!
//! Every layer reports problems as `diagnostics::Diagnostic`. `tests/layout.rs` proves that no
//! module imports one that imports it back. Modules that only the crate uses are private, so
//! the compiler reports what nothing calls.

pub mod assets;
mod autolink;
mod background_drop;
pub mod cms;
pub mod cms_backend;
pub mod config;
pub mod content;
pub mod diagnostics;
mod highlight;
mod images;
pub mod incremental;
pub mod jobs;
mod links;
pub mod markdown;
pub mod memory;
pub mod models;
pub mod output;
mod owners;
mod paths;
pub mod pipeline;
mod publish;
mod related;
pub mod render;
pub mod sanitize;
pub mod scaffold;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site;
mod sources;
pub mod spill;
mod theme;
mod view;
mod watch;
pub mod yaml;

/// The `sizes` of pictures in the text, which a test holds to the stylesheet's widths.
pub use images::SIZES_TEXT;
