//! JSON Schemas (draft 2020-12) of each kind's front matter, made from the same field
//! definitions the validator uses, for editors that check YAML as it is typed.

use std::path::Path;

use serde_json::{Value, json};

use crate::diagnostics::Diagnostic;
use crate::models::{Choice, FieldDef, FieldType, Kind};

/// Every kind with a schema, and the file name it is written to.
pub const KINDS: &[(Kind, &str)] = &[
    (Kind::Page, "page"),
    (Kind::CaseStudy, "case-study"),
    (Kind::Resource, "resource"),
    (Kind::ReportYear, "report-year"),
    (Kind::ReportSection, "report-section"),
];

/// Text as the validator reads it: YAML numbers and true/false count as text too.
fn text_types() -> Value {
    json!(["string", "number", "boolean"])
}

fn enum_of(choices: &[Choice]) -> Value {
    json!(choices.iter().map(|c| c.value).collect::<Vec<_>>())
}

/// What a `slug` may be: one URL path segment in lower case.
pub const SLUG_PATTERN: &str = "^[a-z0-9_-][a-z0-9._-]*$";

/// `^\d{4}-(00-01|01-02|...)`: a four-digit year then the next year's last two digits.
pub fn report_year_pattern() -> String {
    let pairs: Vec<String> = (0..100)
        .map(|n| format!("{n:02}-{:02}", (n + 1) % 100))
        .collect();
    format!("^[1-9][0-9]({})$", pairs.join("|"))
}

fn field_schema(def: &FieldDef) -> Value {
    let mut schema = match def.ty {
        FieldType::Text | FieldType::ImagePath if def.required => {
            json!({"type": text_types(), "pattern": "\\S"})
        }
        FieldType::Text | FieldType::ImagePath => json!({"type": text_types()}),
        FieldType::Date => {
            json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
        }
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::Integer => json!({"type": "integer"}),
        FieldType::Slug => {
            json!({"type": ["string", "integer"], "minimum": 0, "pattern": SLUG_PATTERN})
        }
        FieldType::TextList => json!({"type": "array", "items": {"type": text_types()}}),
        FieldType::ReportYear => json!({"type": "string", "pattern": report_year_pattern()}),
        FieldType::OneOf(choices) => json!({"type": "string", "enum": enum_of(choices)}),
        FieldType::ManyOf(choices) => {
            json!({"type": "array", "items": {"type": "string", "enum": enum_of(choices)}})
        }
        FieldType::Records { required, optional } => {
            let properties: serde_json::Map<String, Value> = required
                .iter()
                .chain(optional)
                .map(|k| (k.to_string(), json!({"type": text_types()})))
                .collect();
            json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "additionalProperties": false,
                }
            })
        }
    };
    if !def.required {
        // An optional field left empty (`area:`) is read as not given.
        if let Some(types) = schema.get_mut("type") {
            *types = match types.take() {
                Value::Array(mut list) => {
                    list.push(json!("null"));
                    Value::Array(list)
                }
                one => json!([one, "null"]),
            };
        }
        if let Some(Value::Array(values)) = schema.get_mut("enum") {
            values.push(Value::Null);
        }
    }
    schema["description"] = json!(def.help);
    schema
}

/// The schema of one kind's front matter.
pub fn schema(kind: Kind) -> Value {
    let fields = kind.fields();
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_string(), field_schema(f)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("Front matter of a {}", kind.name()),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
        "dependentRequired": {"image": ["image_alt"]},
    })
}

/// Writes `<kind>.schema.json` for every kind into `dir`; returns the files written.
pub fn write_all(dir: &Path) -> Result<Vec<String>, Diagnostic> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Diagnostic::file_error(dir, format!("cannot make the folder: {e}")))?;
    KINDS
        .iter()
        .map(|(kind, name)| {
            let path = dir.join(format!("{name}.schema.json"));
            let mut text = serde_json::to_string_pretty(&schema(*kind)).unwrap_or_default();
            text.push('\n');
            std::fs::write(&path, text).map_err(|e| {
                Diagnostic::file_error(&path, format!("cannot write the schema: {e}"))
            })?;
            Ok(crate::diagnostics::display_path(&path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields_and_closed_properties() {
        let s = schema(Kind::CaseStudy);
        assert_eq!(s["required"], json!(["summary", "date", "title"]));
        assert_eq!(s["additionalProperties"], json!(false));
        assert!(
            s["properties"]["area"]["enum"]
                .as_array()
                .unwrap()
                .contains(&json!("charnwood"))
        );
    }
}
