//! The content models: which fields each kind of page has, which values they allow, and the
//! display name of every allowed value. The validator, the templates' data and the taxonomy
//! pages all read these tables, so a field or a value is defined in one place only.

use serde::Serialize;

/// An allowed value and the name people see for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub value: &'static str,
    pub name: &'static str,
}

const fn choice(value: &'static str, name: &'static str) -> Choice {
    Choice { value, name }
}

pub const AREAS: &[Choice] = &[
    choice("blaby", "Blaby"),
    choice("charnwood", "Charnwood"),
    choice("harborough", "Harborough"),
    choice("hinckley-and-bosworth", "Hinckley and Bosworth"),
    choice("melton", "Melton"),
    choice("north-west-leicestershire", "North West Leicestershire"),
    choice("oadby-and-wigston", "Oadby and Wigston"),
    choice("countywide", "Countywide"),
];

pub const PRINCIPLES: &[Choice] = &[
    choice("prevention", "Prevention"),
    choice("participation", "Participation"),
    choice("catalysts", "Catalysts"),
];

pub const APPROACHES: &[Choice] = &[
    choice("asset-based", "Asset-based"),
    choice("social-action", "Social action"),
];

pub const OUTCOMES: &[Choice] = &[
    choice("clean-and-green", "Clean and green"),
    choice("great-communities", "Great communities"),
    choice("improving-opportunities", "Improving opportunities"),
    choice("safe-and-well", "Safe and well"),
    choice("strong-economy", "Strong economy"),
];

pub const ASSETS: &[Choice] = &[
    choice("personal", "Personal"),
    choice("social", "Social"),
    choice("community", "Community"),
    choice("neighbourhood", "Neighbourhood"),
];

pub const RESOURCE_KINDS: &[Choice] = &[
    choice("guide", "Guide"),
    choice("practical-example", "Practical example"),
    choice("research", "Research"),
    choice("toolkit", "Toolkit"),
    choice("report", "Report"),
];

/// More items than any real page lists in one field (tags, aliases, attachments...): each
/// can make a page of its own, so a runaway list would write hundreds of megabytes.
pub const MAX_LIST_ITEMS: usize = 200;

/// The longest summary shown whole: about two lines of a search result, or four lines of a
/// card on a phone.
pub const SUMMARY_MAX_CHARS: usize = 200;

/// What a field holds, and so how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    /// A calendar date written YYYY-MM-DD.
    Date,
    Bool,
    Integer,
    /// One URL path segment.
    Slug,
    TextList,
    /// A report year such as "2020-21".
    ReportYear,
    /// A page-relative file or a site path under `static/`.
    ImagePath,
    OneOf(&'static [Choice]),
    ManyOf(&'static [Choice]),
    /// A list of mappings with these keys.
    Records {
        required: &'static [&'static str],
        optional: &'static [&'static str],
    },
}

#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// What to write, in words for editors.
    pub help: &'static str,
}

impl FieldDef {
    /// The note `new` writes above the field: what to write, and the values allowed.
    pub fn note(&self) -> String {
        let need = if self.required { "required: " } else { "" };
        let allowed = match self.ty {
            FieldType::OneOf(choices) => format!("; one of: {}", values_of(choices)),
            FieldType::ManyOf(choices) => format!("; any of: {}", values_of(choices)),
            FieldType::Records { required, optional } => {
                let keys: Vec<&str> = required.iter().chain(optional).copied().collect();
                format!(
                    "; e.g. [{{{}}}]",
                    keys.iter()
                        .map(|k| format!("{k}: ..."))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            FieldType::TextList => "; write it as a list: [first, second]".to_string(),
            _ => String::new(),
        };
        format!("{need}{}{allowed}", self.help)
    }
}

/// `blaby, charnwood, ...`
fn values_of(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| c.value)
        .collect::<Vec<_>>()
        .join(", ")
}

const fn field(name: &'static str, ty: FieldType, help: &'static str) -> FieldDef {
    FieldDef {
        name,
        ty,
        required: false,
        help,
    }
}

const fn required(name: &'static str, ty: FieldType, help: &'static str) -> FieldDef {
    FieldDef {
        name,
        ty,
        required: true,
        help,
    }
}

const TITLE: FieldDef = required("title", FieldType::Text, "the page's title");
const SUMMARY: FieldDef = field(
    "summary",
    FieldType::Text,
    "one or two sentences about the page",
);
const DATE: FieldDef = field(
    "date",
    FieldType::Date,
    "a date written YYYY-MM-DD, e.g. 2021-03-31",
);

pub const COMMON_FIELDS: &[FieldDef] = &[
    TITLE,
    SUMMARY,
    DATE,
    field(
        "updated",
        FieldType::Date,
        "the date of the last real change, YYYY-MM-DD",
    ),
    field(
        "draft",
        FieldType::Bool,
        "true to keep the page off the published site",
    ),
    field(
        "slug",
        FieldType::Slug,
        "the last part of the page's web address, e.g. village-hall",
    ),
    field(
        "aliases",
        FieldType::TextList,
        "old web addresses that should lead here, e.g. /old/page/",
    ),
    field("tags", FieldType::TextList, "a list of short topic words"),
    field(
        "weight",
        FieldType::Integer,
        "a whole number; lower numbers are listed first",
    ),
    field(
        "image",
        FieldType::ImagePath,
        "a picture file beside the page, or a path under static/",
    ),
    field(
        "image_alt",
        FieldType::Text,
        "a short description of the picture for people who cannot see it",
    ),
];

pub const CASE_STUDY_FIELDS: &[FieldDef] = &[
    required(
        "summary",
        FieldType::Text,
        "one or two sentences about the project",
    ),
    required(
        "date",
        FieldType::Date,
        "a date written YYYY-MM-DD, e.g. 2021-03-31",
    ),
    field(
        "area",
        FieldType::OneOf(AREAS),
        "the district the project is in",
    ),
    field(
        "principles",
        FieldType::ManyOf(PRINCIPLES),
        "a list of the principles it shows",
    ),
    field(
        "approaches",
        FieldType::ManyOf(APPROACHES),
        "a list of the approaches it used",
    ),
    field(
        "outcomes",
        FieldType::ManyOf(OUTCOMES),
        "a list of the outcomes it worked towards",
    ),
    field(
        "assets",
        FieldType::ManyOf(ASSETS),
        "a list of the kinds of assets it built on",
    ),
    field("organisation", FieldType::Text, "who ran the project"),
    field("funding", FieldType::Text, "how it was funded"),
];

pub const RESOURCE_FIELDS: &[FieldDef] = &[
    required(
        "summary",
        FieldType::Text,
        "one or two sentences about the resource",
    ),
    field(
        "kind",
        FieldType::OneOf(RESOURCE_KINDS),
        "what sort of resource it is",
    ),
    field("audience", FieldType::TextList, "a list of who it is for"),
    field(
        "attachments",
        FieldType::Records {
            required: &["file", "title"],
            optional: &[],
        },
        "a list of downloads, each with file (beside the page) and title",
    ),
    field(
        "source_url",
        FieldType::Text,
        "the web address it was first published at",
    ),
    field("published_by", FieldType::Text, "who published it"),
];

pub const REPORT_FIELDS: &[FieldDef] = &[
    field(
        "year",
        FieldType::ReportYear,
        "the report's year, written like \"2020-21\"",
    ),
    field(
        "figures",
        FieldType::Records {
            required: &["value", "label"],
            optional: &[],
        },
        "a list of headline numbers, each with value and label",
    ),
    field(
        "contacts",
        FieldType::Records {
            required: &["name"],
            optional: &["role", "email", "phone"],
        },
        "a list of people to contact, each with name, role, email and phone",
    ),
];

/// The kind of a content file, decided by the folder it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Page,
    CaseStudy,
    Resource,
    /// A year's `_index.md` under `annual-report/`: the report itself.
    ReportYear,
    ReportSection,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Page,
        Kind::CaseStudy,
        Kind::Resource,
        Kind::ReportYear,
        Kind::ReportSection,
    ];

    /// `path` is relative to `content/`, with forward slashes.
    pub fn for_path(path: &str) -> Kind {
        let parts: Vec<&str> = path.split('/').collect();
        let is_index = parts.last() == Some(&"_index.md");
        match parts.as_slice() {
            ["case-studies", _, ..] if !is_index => Kind::CaseStudy,
            ["resources", _, ..] if !is_index => Kind::Resource,
            ["annual-report", _year, "_index.md"] => Kind::ReportYear,
            ["annual-report", _year, _, ..] if !is_index => Kind::ReportSection,
            _ => Kind::Page,
        }
    }

    /// The fields this kind accepts: its own, then the common ones it does not redefine.
    pub fn fields(self) -> Vec<FieldDef> {
        let own: &[FieldDef] = match self {
            Kind::Page => &[],
            Kind::CaseStudy => CASE_STUDY_FIELDS,
            Kind::Resource => RESOURCE_FIELDS,
            Kind::ReportYear | Kind::ReportSection => REPORT_FIELDS,
        };
        let mut all = own.to_vec();
        all.extend(
            COMMON_FIELDS
                .iter()
                .filter(|c| !own.iter().any(|o| o.name == c.name)),
        );
        all
    }

    /// Where files of this kind live, for the hint when a kind's fields are in another folder.
    pub fn home(self) -> &'static str {
        match self {
            Kind::Page => "pages live anywhere in content/",
            Kind::CaseStudy => "case studies live in content/case-studies/",
            Kind::Resource => "resources live in content/resources/",
            Kind::ReportYear | Kind::ReportSection => {
                "annual report pages live in a year's folder, e.g. content/annual-report/2020-21/"
            }
        }
    }

    /// The fields of this kind that the common fields do not have.
    pub fn own_fields(self) -> impl Iterator<Item = FieldDef> {
        self.fields()
            .into_iter()
            .filter(|f| !COMMON_FIELDS.iter().any(|c| c.name == f.name))
    }

    /// The name with its article: "a case study", "an annual report".
    pub fn a_name(self) -> String {
        let name = self.name();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {name}")
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::CaseStudy => "case study",
            Kind::Resource => "resource",
            Kind::ReportYear => "annual report",
            Kind::ReportSection => "annual report section",
        }
    }
}

/// A taxonomy: a facet of pages with its own listing pages.
#[derive(Debug, Clone, Copy)]
pub struct TaxonomyDef {
    /// The front matter field it is read from.
    pub field: &'static str,
    /// Its URL segment, e.g. `/areas/`.
    pub slug: &'static str,
    pub name: &'static str,
    /// The allowed values with their names; `None` for free tags.
    pub choices: Option<&'static [Choice]>,
}

pub const TAXONOMIES: &[TaxonomyDef] = &[
    TaxonomyDef {
        field: "principles",
        slug: "principles",
        name: "Principles",
        choices: Some(PRINCIPLES),
    },
    TaxonomyDef {
        field: "area",
        slug: "areas",
        name: "Areas",
        choices: Some(AREAS),
    },
    TaxonomyDef {
        field: "approaches",
        slug: "approaches",
        name: "Approaches",
        choices: Some(APPROACHES),
    },
    TaxonomyDef {
        field: "outcomes",
        slug: "outcomes",
        name: "Outcomes",
        choices: Some(OUTCOMES),
    },
    TaxonomyDef {
        field: "tags",
        slug: "tags",
        name: "Tags",
        choices: None,
    },
];

/// The display name of an allowed value; free values are shown as written.
pub fn display_name<'a>(choices: Option<&'static [Choice]>, value: &'a str) -> &'a str {
    choices
        .and_then(|cs| cs.iter().find(|c| c.value == value))
        .map_or(value, |c| c.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_decided_by_folder() {
        assert_eq!(
            Kind::for_path("case-studies/botcheston.md"),
            Kind::CaseStudy
        );
        assert_eq!(Kind::for_path("case-studies/_index.md"), Kind::Page);
        assert_eq!(Kind::for_path("resources/toolkit/index.md"), Kind::Resource);
        assert_eq!(
            Kind::for_path("annual-report/2020-21/_index.md"),
            Kind::ReportYear
        );
        assert_eq!(
            Kind::for_path("annual-report/2020-21/grants.md"),
            Kind::ReportSection
        );
        assert_eq!(Kind::for_path("annual-report/_index.md"), Kind::Page);
        assert_eq!(Kind::for_path("about.md"), Kind::Page);
    }

    #[test]
    fn kind_fields_let_own_definitions_replace_common_ones() {
        let fields = Kind::CaseStudy.fields();
        let summary: Vec<_> = fields.iter().filter(|f| f.name == "summary").collect();
        assert_eq!(summary.len(), 1);
        assert!(summary[0].required);
        assert!(fields.iter().any(|f| f.name == "title" && f.required));
    }

    #[test]
    fn display_names_come_from_the_tables() {
        assert_eq!(
            display_name(Some(AREAS), "hinckley-and-bosworth"),
            "Hinckley and Bosworth"
        );
        assert_eq!(display_name(None, "volunteering"), "volunteering");
    }
}
