use crate::ValidationError;
use std::fmt;

/// The rules below are exactly what a JSON Schema can say (SPEC §15: the document's
/// lengths and patterns are the server's), so they apply to the text as sent: its length
/// counts every character, and no control character may appear anywhere; what is stored
/// is trimmed. `api::validate` documents each as a `maxLength` and a `pattern`.
fn bounded_text(raw: &str, field: &'static str, max: usize) -> Result<String, ValidationError> {
    let len = raw.chars().count();
    let text = raw.trim();
    if text.is_empty() || len > max || raw.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            format!("must be 1-{max} characters, not all blank, without control characters"),
        ));
    }
    Ok(text.to_owned())
}

macro_rules! bounded_name {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                bounded_text(raw, $field, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

bounded_name!(
    /// A project's name: 1 to 200 characters.
    ProjectName, "name", 200
);
bounded_name!(
    /// A task's title: 1 to 500 characters.
    TaskTitle, "title", 500
);
bounded_name!(
    /// An API key's label: 1 to 100 characters.
    ApiKeyName, "name", 100
);
bounded_name!(
    /// An OAuth client's name, shown on the consent step: 1 to 100 characters.
    ClientName, "name", 100
);

/// Free text describing a resource: at most 2000 characters, may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "description",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        // Line breaks and tabs are text; NUL (which PostgreSQL cannot store) and the other
        // control characters are not.
        if raw
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(ValidationError::new(
                "description",
                "must not contain control characters other than line breaks and tabs",
            ));
        }
        Ok(Self(raw.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A custom role's name: 1 to 64 characters like any name, and no `:`, so that a role is
/// never mistaken for a permission (`tenant:read`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = bounded_text(raw, "name", Self::MAX_CHARS);
        match name {
            Ok(name) if !name.contains(':') => Ok(Self(name)),
            _ => Err(ValidationError::new(
                "name",
                "must be 1-64 characters, not all blank, without control characters or ':'",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's human-readable name: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        bounded_text(raw, "name", 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's display name: 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        bounded_text(raw, "display_name", 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_description_keeps_line_breaks_and_tabs_but_no_other_control_character() {
        use super::Description;
        assert_eq!(
            Description::parse("a\nb\r\nc\td").unwrap().as_str(),
            "a\nb\r\nc\td"
        );
        for bad in ["nul \u{0}", "bell \u{7}", "escape \u{1b}[31m", "del \u{7f}"] {
            assert_eq!(
                Description::parse(bad).unwrap_err().field,
                "description",
                "{bad:?}"
            );
        }
    }

    use super::*;

    #[test]
    fn name_is_trimmed() {
        assert_eq!(
            TenantName::parse("  Acme Corp ").unwrap().as_str(),
            "Acme Corp"
        );
        assert_eq!(DisplayName::parse(" Ada ").unwrap().as_str(), "Ada");
        // A control character is refused anywhere, even where trimming would drop it: the
        // rule is the schema's `pattern`, which sees the text as sent.
        assert!(DisplayName::parse("\tAda").is_err());
    }

    #[test]
    fn single_character_name_is_accepted() {
        assert_eq!(TenantName::parse("A").unwrap().as_str(), "A");
        assert_eq!(DisplayName::parse("A").unwrap().as_str(), "A");
    }

    #[test]
    fn empty_or_blank_name_is_rejected() {
        for bad in ["", "   ", "\t\n"] {
            assert!(TenantName::parse(bad).is_err(), "{bad:?} accepted");
            assert!(DisplayName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn name_of_exactly_100_characters_is_accepted() {
        let name = "n".repeat(100);
        assert_eq!(TenantName::parse(&name).unwrap().as_str(), name);
        assert_eq!(DisplayName::parse(&name).unwrap().as_str(), name);
    }

    #[test]
    fn name_of_101_characters_is_rejected() {
        let name = "n".repeat(101);
        assert!(TenantName::parse(&name).is_err());
        assert!(DisplayName::parse(&name).is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 100 characters, 200 bytes.
        let name = "é".repeat(100);
        assert!(TenantName::parse(&name).is_ok());
        assert!(DisplayName::parse(&name).is_ok());
    }

    #[test]
    fn length_counts_the_text_as_sent() {
        let name = format!(" {} ", "n".repeat(98));
        assert_eq!(TenantName::parse(&name).unwrap().as_str().len(), 98);
        let name = format!(" {} ", "n".repeat(99));
        assert!(TenantName::parse(&name).is_err());
        assert!(DisplayName::parse(&name).is_err());
    }

    #[test]
    fn inner_control_characters_are_rejected() {
        for bad in ["Ac\u{7}me", "Ac\nme", "Acme\u{0}Corp", "Ac\u{9f}me"] {
            assert!(TenantName::parse(bad).is_err(), "{bad:?} accepted");
            assert!(DisplayName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn rejection_names_its_field_and_the_bound() {
        let tenant = TenantName::parse("").unwrap_err();
        assert_eq!(tenant.field, "name");
        assert_eq!(
            tenant.message,
            "must be 1-100 characters, not all blank, without control characters"
        );
        assert_eq!(DisplayName::parse("").unwrap_err().field, "display_name");
    }

    #[test]
    fn displays_as_the_trimmed_name() {
        assert_eq!(TenantName::parse(" Acme ").unwrap().to_string(), "Acme");
        assert_eq!(DisplayName::parse(" Ada ").unwrap().to_string(), "Ada");
    }

    type Parser = fn(&str) -> Result<String, ValidationError>;

    /// The resource names made by `bounded_name!`: (field, bound, parser).
    fn resource_names() -> [(&'static str, usize, Parser); 3] {
        [
            ("name", 200, |raw| {
                ProjectName::parse(raw).map(ProjectName::into_inner)
            }),
            ("title", 500, |raw| {
                TaskTitle::parse(raw).map(TaskTitle::into_inner)
            }),
            ("name", 100, |raw| {
                ApiKeyName::parse(raw).map(ApiKeyName::into_inner)
            }),
        ]
    }

    #[test]
    fn project_names_task_titles_and_api_key_names_have_their_own_bounds() {
        assert_eq!(ProjectName::MAX_CHARS, 200);
        assert_eq!(TaskTitle::MAX_CHARS, 500);
        assert_eq!(ApiKeyName::MAX_CHARS, 100);
        for (field, max, parse) in resource_names() {
            let longest = "é".repeat(max);
            assert_eq!(parse(&longest), Ok(longest.clone()), "{field} {max}");
            let over = parse(&"é".repeat(max + 1)).unwrap_err();
            assert_eq!(over.field, field);
            assert_eq!(
                over.message,
                format!("must be 1-{max} characters, not all blank, without control characters")
            );
        }
    }

    #[test]
    fn project_names_task_titles_and_api_key_names_are_trimmed_and_never_blank() {
        for (field, _, parse) in resource_names() {
            assert_eq!(parse("  Q3 launch "), Ok("Q3 launch".to_owned()), "{field}");
            assert_eq!(parse("x"), Ok("x".to_owned()), "{field}");
            for bad in ["", "  ", "Q3\nlaunch", "Q3\u{0}"] {
                assert_eq!(parse(bad).unwrap_err().field, field, "{bad:?} accepted");
            }
        }
    }

    #[test]
    fn resource_name_as_str_is_its_inner_text() {
        assert_eq!(ProjectName::parse(" Apollo ").unwrap().as_str(), "Apollo");
        assert_eq!(TaskTitle::parse(" Ship it ").unwrap().as_str(), "Ship it");
        assert_eq!(ApiKeyName::parse(" ci ").unwrap().as_str(), "ci");
    }

    #[test]
    fn description_is_trimmed_and_kept() {
        let text = "Everything about\nthe launch";
        assert_eq!(
            Description::parse(&format!("  {text} \n"))
                .unwrap()
                .as_str(),
            text
        );
    }

    #[test]
    fn description_may_be_empty() {
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert_eq!(Description::parse(" \n\t ").unwrap().as_str(), "");
        assert_eq!(Description::default().as_str(), "");
    }

    #[test]
    fn description_of_exactly_2000_characters_is_accepted() {
        assert_eq!(Description::MAX_CHARS, 2000);
        // 2000 characters, 4000 bytes: the bound counts characters.
        let text = "é".repeat(2000);
        assert_eq!(Description::parse(&text).unwrap().as_str(), text);
    }

    #[test]
    fn description_over_2000_characters_is_rejected() {
        for len in [2001, 2002, 10_000] {
            let error = Description::parse(&"d".repeat(len)).unwrap_err();
            assert_eq!(error.field, "description", "{len}");
            assert_eq!(error.message, "must be at most 2000 characters");
        }
    }

    #[test]
    fn role_name_takes_letters_digits_spaces_dashes_underscores_and_dots() {
        for good in [
            "Billing ops",
            "release-2.0",
            "on_call",
            "Équipe 7",
            "x",
            "R&D (EU)",
        ] {
            assert_eq!(RoleName::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(RoleName::parse("  auditors ").unwrap().as_str(), "auditors");
    }

    #[test]
    fn role_name_refuses_colons_and_control_characters() {
        for bad in ["tenant:read", ":", "a\tb", "a\u{0}b", "a\nb", " \u{9f}"] {
            let error = RoleName::parse(bad).unwrap_err();
            assert_eq!(error.field, "name", "{bad:?}");
            assert_eq!(
                error.message,
                "must be 1-64 characters, not all blank, without control characters or ':'"
            );
        }
    }

    #[test]
    fn role_name_is_1_to_64_characters_as_sent() {
        assert_eq!(RoleName::MAX_CHARS, 64);
        let longest = "r".repeat(64);
        assert_eq!(RoleName::parse(&longest).unwrap().as_str(), longest);
        for bad in [
            String::new(),
            "   ".to_owned(),
            "r".repeat(65),
            format!(" {longest}"),
        ] {
            assert!(RoleName::parse(&bad).is_err(), "{bad:?} accepted");
        }
    }
}

/// The rules above as JSON Schema (SPEC §15: the document's lengths and patterns are the
/// server's). Patterns are ECMA-262 and Python alike: `\s` is Unicode whitespace in both,
/// and the control characters are Unicode's Cc (U+0000–U+001F, U+007F–U+009F).
#[cfg(feature = "openapi")]
mod schema {
    use super::*;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

    const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";

    /// Not all blank, no control character.
    pub(super) fn name_pattern(also_refused: &str) -> String {
        let allowed = format!("[^{CONTROL}{also_refused}]");
        let visible = format!(r"[^\s{CONTROL}{also_refused}]");
        format!("^{allowed}*{visible}{allowed}*$")
    }

    fn text(min: usize, max: usize, pattern: String, description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(min))
            .max_length(Some(max))
            .pattern(Some(pattern))
            .description(Some(description))
            .into()
    }

    macro_rules! text_schema {
        ($name:ident, $max:expr, $pattern:expr, $description:literal) => {
            impl utoipa::PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    text(1, $max, $pattern, $description)
                }
            }
            impl utoipa::ToSchema for $name {}
        };
    }

    text_schema!(
        ProjectName,
        200,
        name_pattern(""),
        "1-200 characters, not all blank, no control characters; stored trimmed."
    );
    text_schema!(
        TaskTitle,
        500,
        name_pattern(""),
        "1-500 characters, not all blank, no control characters; stored trimmed."
    );
    text_schema!(
        ApiKeyName,
        100,
        name_pattern(""),
        "1-100 characters, not all blank, no control characters; stored trimmed."
    );
    text_schema!(
        ClientName,
        100,
        name_pattern(""),
        "1-100 characters, not all blank, no control characters; stored trimmed."
    );
    text_schema!(
        TenantName,
        100,
        name_pattern(""),
        "1-100 characters, not all blank, no control characters; stored trimmed."
    );
    text_schema!(
        DisplayName,
        100,
        name_pattern(""),
        "1-100 characters, not all blank, no control characters; stored trimmed."
    );
    text_schema!(
        RoleName,
        64,
        name_pattern(":"),
        "1-64 characters, not all blank, no control characters and no `:`; stored trimmed."
    );

    impl utoipa::PartialSchema for Description {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(Description::MAX_CHARS))
                .pattern(Some(
                    r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
                ))
                .description(Some(
                    "At most 2000 characters; line breaks and tabs allowed, no other control \
                     characters; stored trimmed.",
                ))
                .into()
        }
    }
    impl utoipa::ToSchema for Description {}
}

#[cfg(all(test, feature = "openapi"))]
mod schema_tests {
    use super::*;

    /// The pattern the document states accepts exactly what `parse` accepts.
    #[test]
    fn name_pattern_agrees_with_the_rule() {
        let pattern = regex_lite::Regex::new(&schema::name_pattern(":")).unwrap();
        for sample in [
            "a",
            " a ",
            "Équipe 7",
            "R&D",
            "",
            "   ",
            "a:b",
            "a\tb",
            "\u{85}",
            "x\u{9f}",
            "🙂",
        ] {
            assert_eq!(
                pattern.is_match(sample),
                RoleName::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
    }
}
