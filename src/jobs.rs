//! The output pages a site has, each a `Job`, and the pages each one lists: the plan that
//! rendering fills with values.

use crate::models::{Choice, Kind};
use crate::paths::{full_report_url, listing_url, page_count};
use crate::site::{Page, Site};

/// Every output page the site has, so that all of them, or some of them, can be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// A page's own HTML; for a listing section, its first listing page.
    Page(usize),
    /// Listing page `n` (2 and up) of a section.
    SectionPage(usize, usize),
    TaxonomyIndex(usize),
    /// Listing page `n` (1 and up) of a term.
    Term(usize, usize, usize),
    /// The page of an allowed value (`choices[c]` of taxonomy `t`) that no page has yet, so
    /// that every district, principle and outcome has its page.
    EmptyTerm(usize, usize),
    /// A report year with all its sections on one page, for reading through and printing.
    FullReport(usize),
    /// The search page, which queries the index that `search` writes.
    Search,
    NotFound,
}

/// The jobs of one page: its own, its whole report, and its further listing pages.
pub fn page_jobs(site: &Site, i: usize) -> Vec<Job> {
    let page = &site.pages[i];
    let mut jobs = vec![Job::Page(i)];
    if page.source.kind == Kind::ReportYear {
        jobs.push(Job::FullReport(i));
    }
    if paginates(page) {
        for n in 2..=page_count(page.children.len(), site.config.page_size) {
            jobs.push(Job::SectionPage(i, n));
        }
    }
    jobs
}

/// All jobs of a site.
pub fn all_jobs(site: &Site) -> Vec<Job> {
    let mut jobs: Vec<Job> = (0..site.pages.len())
        .flat_map(|i| page_jobs(site, i))
        .collect();
    jobs.extend(taxonomy_jobs(site));
    jobs.push(Job::Search);
    jobs.push(Job::NotFound);
    jobs
}

/// The jobs of the site's taxonomies: their lists of terms and the terms' pages.
pub fn taxonomy_jobs(site: &Site) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (t, taxonomy) in site.taxonomies.iter().enumerate() {
        jobs.push(Job::TaxonomyIndex(t));
        for (k, term) in taxonomy.terms.iter().enumerate() {
            for n in 1..=page_count(term.pages.len(), site.config.page_size) {
                jobs.push(Job::Term(t, k, n));
            }
        }
    }
    jobs.extend(
        empty_terms(site)
            .into_iter()
            .map(|(t, c)| Job::EmptyTerm(t, c)),
    );
    jobs
}

/// Whether `job` is among the `taxonomy_jobs`.
pub fn is_taxonomy_job(job: Job) -> bool {
    matches!(
        job,
        Job::TaxonomyIndex(_) | Job::Term(..) | Job::EmptyTerm(..)
    )
}

/// The site paths the generated listing pages take, for checking that no page takes them too.
pub fn generated_urls(site: &Site) -> Vec<String> {
    all_jobs(site)
        .into_iter()
        .filter(|j| !matches!(j, Job::Page(_) | Job::NotFound))
        .map(|j| job_url(site, j))
        .collect()
}

/// The pages a section's listing page shows, and how many listing pages it has.
pub(crate) fn listed(site: &Site, page: &Page, job: Job) -> (Vec<usize>, usize) {
    if paginates(page) {
        let n = if let Job::SectionPage(_, n) = job {
            n
        } else {
            1
        };
        let size = site.config.page_size;
        (
            shown_items(&page.children, n, size),
            page_count(page.children.len(), size),
        )
    } else {
        (page.children.clone(), 1)
    }
}

pub(crate) fn shown_items(items: &[usize], n: usize, size: usize) -> Vec<usize> {
    items
        .iter()
        .copied()
        .skip((n - 1) * size)
        .take(size)
        .collect()
}

/// The home page's latest case studies, featured resources and latest annual report.
pub(crate) fn home_pages(site: &Site) -> (Vec<usize>, Vec<usize>, Option<usize>) {
    let mut case_studies = site.pages_of_kind(Kind::CaseStudy);
    case_studies.truncate(3);
    let mut resources = site.pages_of_kind(Kind::Resource);
    resources.truncate(3);
    let latest_report = (0..site.pages.len())
        .filter(|&i| site.pages[i].source.kind == Kind::ReportYear)
        .max_by(|&a, &b| {
            site.pages[a]
                .source
                .meta
                .year
                .cmp(&site.pages[b].source.meta.year)
        });
    (case_studies, resources, latest_report)
}

pub fn job_url(site: &Site, job: Job) -> String {
    match job {
        Job::Page(i) => site.pages[i].url().to_string(),
        Job::SectionPage(i, n) => listing_url(site.pages[i].url(), n),
        Job::TaxonomyIndex(t) => site.taxonomies[t].url.clone(),
        Job::Term(t, k, n) => listing_url(&site.taxonomies[t].terms[k].url, n),
        Job::EmptyTerm(t, c) => empty_term_url(site, t, c),
        Job::FullReport(i) => full_report_url(site.pages[i].url()),
        Job::Search => format!("/{}/", crate::search::DIR),
        Job::NotFound => "/404.html".to_string(),
    }
}

/// The allowed values of each taxonomy that no published page has: `(taxonomy, position in
/// its choices)`, in the order of the models' tables.
pub fn empty_terms(site: &Site) -> Vec<(usize, usize)> {
    site.taxonomies
        .iter()
        .enumerate()
        .flat_map(|(t, taxonomy)| {
            taxonomy
                .def
                .choices
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter(|(_, choice)| !taxonomy.terms.iter().any(|term| term.value == choice.value))
                .map(move |(c, _)| (t, c))
        })
        .collect()
}

/// Allowed value `c` of taxonomy `t`.
pub fn allowed_value(site: &Site, t: usize, c: usize) -> &'static Choice {
    &site.taxonomies[t].def.choices.unwrap_or_default()[c]
}

/// Where a value's page is published: the same place its page would have if pages had it.
pub fn empty_term_url(site: &Site, t: usize, c: usize) -> String {
    let value = allowed_value(site, t, c).value;
    format!(
        "{}{}/",
        site.taxonomies[t].url,
        crate::content::url_segment(value)
    )
}

/// Sections shown with `section.html` list their pages a page at a time.
pub(crate) fn paginates(page: &Page) -> bool {
    page.source.is_section && !page.is_home() && page.source.kind == Kind::Page
}
