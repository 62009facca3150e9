use thiserror::Error;

/// A value that could not become a domain type. `field` names the input it came from so
/// the API can report `errors: [{field, message}]`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_field_and_message_it_was_given() {
        let error = ValidationError::new("slug", String::from("is taken"));
        assert_eq!(error.field, "slug");
        assert_eq!(error.message, "is taken");
    }

    #[test]
    fn displays_as_field_colon_message() {
        assert_eq!(
            ValidationError::new("email", "must be a valid email address").to_string(),
            "email: must be a valid email address"
        );
    }
}
