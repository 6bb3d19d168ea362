//! Values shown the same way wherever they appear: on pages and in search results.

use chrono::NaiveDate;
use serde::Serialize;

use crate::models::{self, Kind, RESOURCE_KINDS};
use crate::site::Page;

/// A date as pages and search results show it.
#[derive(Serialize)]
pub(crate) struct DateView {
    iso: String,
    display: String,
}

pub(crate) fn date_view(date: Option<NaiveDate>) -> Option<DateView> {
    date.map(|d| DateView {
        iso: d.format("%Y-%m-%d").to_string(),
        display: d.format("%-d %B %Y").to_string(),
    })
}

/// What a page is, as people read it: "Case study", or a resource's own kind.
pub(crate) fn kind_label(page: &Page) -> String {
    match page.source.kind {
        Kind::Resource => page
            .source
            .meta
            .resource_kind
            .as_deref()
            .map_or("Resource", |k| {
                models::display_name(Some(RESOURCE_KINDS), k)
            })
            .to_string(),
        Kind::CaseStudy => "Case study".to_string(),
        Kind::ReportYear => "Annual report".to_string(),
        Kind::ReportSection => "Annual report section".to_string(),
        Kind::Page => "Page".to_string(),
    }
}
