//! Compiled substitution patterns, cached by their text.
//!
//! A site writes the same few patterns (`DOMAIN`, `PASSWORD`, `IMAGE_TAG`) into thousands
//! of substitutions, and compiling a regular expression costs far more than matching it:
//! without the cache, compiling was 7% of a 10,000-document render. The cache is per
//! thread and bounded, so hostile input with many distinct patterns cannot grow it
//! without limit.

use std::cell::RefCell;

use foldhash::HashMap;

/// Patterns kept before the cache is emptied and starts over.
const CACHE_LIMIT: usize = 4096;

thread_local! {
    static CACHE: RefCell<HashMap<String, Result<fancy_regex::Regex, String>>> =
        RefCell::new(HashMap::default());
}

/// The compiled form of `pattern` (Python `re` syntax, as Deckhand uses), or why it does
/// not compile.
pub fn compile(pattern: &str) -> Result<fancy_regex::Regex, String> {
    CACHE.with(|cache| {
        if let Some(compiled) = cache.borrow().get(pattern) {
            return compiled.clone();
        }
        let compiled = fancy_regex::Regex::new(pattern)
            .map_err(|error| format!("invalid regular expression `{pattern}`: {error}"));
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(pattern.to_string(), compiled.clone());
        compiled
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_and_reports_errors_the_same_when_cached() {
        for _ in 0..2 {
            let regex = compile(r"DOMAIN(\d+)").expect("valid pattern");
            assert!(regex.is_match("DOMAIN42").unwrap());
            let error = compile("(unclosed").expect_err("invalid pattern");
            assert!(
                error.starts_with("invalid regular expression `(unclosed`"),
                "{error}"
            );
        }
    }

    #[test]
    fn cache_stays_bounded() {
        for number in 0..CACHE_LIMIT + 10 {
            compile(&format!("p{number}")).expect("valid pattern");
        }
        CACHE.with(|cache| assert!(cache.borrow().len() <= CACHE_LIMIT));
    }
}
