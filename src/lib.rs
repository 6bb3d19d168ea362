//! `communities`: the static site generator of the Leicestershire Communities website.
//!
//! Data flows one way: `content` (load and parse) -> `site` (the model) -> `render` (Tera)
//! -> `output` (write), driven by `pipeline`. Every layer reports problems as
//! `diagnostics::Diagnostic`.

pub mod assets;
pub mod autolink;
pub mod cms;
pub mod cms_backend;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod highlight;
pub mod images;
pub mod incremental;
pub mod links;
pub mod markdown;
pub mod models;
pub mod output;
pub mod owners;
pub mod pipeline;
pub mod publish;
pub mod render;
pub mod sanitize;
pub mod scaffold;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site;
pub mod watch;
pub mod yaml;
