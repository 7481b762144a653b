//! What the node simulator needs of cloud-init, done as cloud-init does it (pure):
//!
//! - the `phone_home` settings of a `#cloud-config` user-data (`url`, `post`, `tries`),
//!   read as cloud-init reads them in `cloudinit/config/cc_phone_home.py`: `post`
//!   defaults to `all` (`pub_key_rsa`, `pub_key_ecdsa`, `pub_key_ed25519`,
//!   `instance_id`, `hostname`, `fqdn`), `tries` that is not an integer means 10;
//! - the instance id and host names cloud-init posts, from the NoCloud `meta-data`
//!   (`instance-id`, `local-hostname`) as its `DataSource.get_hostname` derives them;
//! - the form it posts: `application/x-www-form-urlencoded`, the keys in `post` order,
//!   a value cloud-init does not have sent as `N/A`, `$INSTANCE_ID` in the URL replaced;
//! - a NoCloud seed URL given on a kernel command line (`ds=nocloud;s=URL`), for a node
//!   whose config comes over HTTP rather than from a second virtual media slot.
//!
//! Every input comes from an image someone else made: nothing here panics on it.

use aero_yaml::{Dialect, LoadOptions};
use serde_json::Value;

/// What cloud-init posts when `post` is `all` (cc_phone_home's `POST_LIST_ALL`).
pub(crate) const POST_LIST_ALL: [&str; 6] = [
    "pub_key_rsa",
    "pub_key_ecdsa",
    "pub_key_ed25519",
    "instance_id",
    "hostname",
    "fqdn",
];

/// cloud-init's `tries` when the setting is missing or not an integer.
pub(crate) const DEFAULT_TRIES: u32 = 10;

/// cloud-init's default domain: a host name without one has no FQDN of its own.
const DEFAULT_DOMAIN: &str = "localdomain";

/// The `phone_home` settings of a user-data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhoneHome {
    /// Where to post (may hold `$INSTANCE_ID`).
    pub(crate) url: String,
    /// The keys to post, in order.
    pub(crate) post: Vec<String>,
    /// How many attempts (at least 1).
    pub(crate) tries: u32,
}

/// A YAML mapping of a cloud-init file, as JSON.
fn load_mapping(text: &str, what: &str) -> Result<serde_json::Map<String, Value>, String> {
    let mut options = LoadOptions::new(Dialect::PyYaml11);
    options.max_nodes = 100_000;
    options.max_depth = 64;
    let documents = aero_yaml::load_all(text, &options)
        .map_err(|error| format!("{what} is not YAML: {error}"))?;
    match documents.first().map(|document| document.root.to_json()) {
        Some(Value::Object(map)) => Ok(map),
        Some(Value::Null) | None => Ok(serde_json::Map::new()),
        Some(_) => Err(format!("{what} is not a YAML mapping")),
    }
}

/// The `phone_home` settings of `user_data`; `None` when it has none (or none with a
/// `url`, which cloud-init skips with a warning).
pub(crate) fn phone_home(user_data: &str) -> Result<Option<PhoneHome>, String> {
    if !user_data.starts_with("#cloud-config") {
        return Err("user-data is not a #cloud-config file".to_string());
    }
    let config = load_mapping(user_data, "user-data")?;
    let Some(settings) = config.get("phone_home") else {
        return Ok(None);
    };
    let Value::Object(settings) = settings else {
        return Err("phone_home of user-data is not a mapping".to_string());
    };
    let Some(url) = settings.get("url") else {
        return Ok(None);
    };
    let url = match url {
        Value::String(url) => url.clone(),
        other => other.to_string(),
    };
    let post = match settings.get("post") {
        None => POST_LIST_ALL.iter().map(|key| key.to_string()).collect(),
        Some(Value::String(all)) if all == "all" => {
            POST_LIST_ALL.iter().map(|key| key.to_string()).collect()
        }
        Some(Value::Array(keys)) => keys
            .iter()
            .map(|key| match key {
                Value::String(key) => key.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(_) => return Err("phone_home.post is neither `all` nor a list".to_string()),
    };
    let tries = settings
        .get("tries")
        .map_or(DEFAULT_TRIES, python_int_or_default);
    Ok(Some(PhoneHome { url, post, tries }))
}

/// `int(value)` as Python computes it, else [`DEFAULT_TRIES`]; attempts are at least 1
/// (cloud-init's `readurl` makes `max(retries + 1, 1)` attempts).
fn python_int_or_default(value: &Value) -> u32 {
    let number = match value {
        Value::Bool(flag) => Some(i64::from(*flag)),
        Value::Number(number) => number.as_i64().or_else(|| {
            number
                .as_f64()
                .filter(|float| float.is_finite())
                .map(|float| float.trunc() as i64)
        }),
        Value::String(text) => text.trim().replace('_', "").parse::<i64>().ok(),
        _ => None,
    };
    match number {
        Some(number) => u32::try_from(number.clamp(1, 1000)).unwrap_or(1),
        None => DEFAULT_TRIES,
    }
}

/// What cloud-init knows of the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// `instance-id` of meta-data.
    pub(crate) instance_id: String,
    /// The host name, without domain.
    pub(crate) hostname: String,
    /// The host name with its domain, or the host name alone when it has none.
    pub(crate) fqdn: String,
}

/// The identity cloud-init's NoCloud datasource gives: `instance-id` and
/// `local-hostname` of `meta_data`; without `local-hostname`, the host name the
/// user-data set (`fqdn`, else `hostname`), else `fallback`.
pub(crate) fn identity(
    user_data: &str,
    meta_data: &str,
    fallback: &str,
) -> Result<Identity, String> {
    let meta = load_mapping(meta_data, "meta-data")?;
    let instance_id = match meta.get("instance-id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(id)) => id.to_string(),
        _ => return Err("meta-data has no instance-id".to_string()),
    };
    let local = match meta.get("local-hostname") {
        Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
        _ => None,
    };
    let name = match local {
        Some(name) => name,
        None => {
            let user = load_mapping(user_data, "user-data").unwrap_or_default();
            let text = |key: &str| match user.get(key) {
                Some(Value::String(value)) if !value.is_empty() => Some(value.clone()),
                _ => None,
            };
            text("fqdn")
                .or_else(|| text("hostname"))
                .unwrap_or_else(|| fallback.to_string())
        }
    };
    let (hostname, fqdn) = hostnames(&name);
    Ok(Identity {
        instance_id,
        hostname,
        fqdn,
    })
}

/// `DataSource.get_hostname` for a `local-hostname`: an IPv4 address becomes
/// `ip-a-b-c-d`; the first label is the host name; the FQDN adds the rest unless there
/// is none.
fn hostnames(name: &str) -> (String, String) {
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        let host = format!("ip-{}", name.replace('.', "-"));
        return (host.clone(), host);
    }
    match name.split_once('.') {
        Some((host, domain)) if domain != DEFAULT_DOMAIN => {
            (host.to_string(), format!("{host}.{domain}"))
        }
        Some((host, _)) => (host.to_string(), host.to_string()),
        None => (name.to_string(), name.to_string()),
    }
}

/// The URL with `$INSTANCE_ID` (or `${INSTANCE_ID}`) replaced, as cloud-init's basic
/// template renderer does.
pub(crate) fn url_for(phone_home: &PhoneHome, identity: &Identity) -> String {
    phone_home
        .url
        .replace("${INSTANCE_ID}", &identity.instance_id)
        .replace("$INSTANCE_ID", &identity.instance_id)
}

/// The form cloud-init posts: each key of `post` once, in order, with its value from
/// `known` or `N/A`, encoded as Python's `urlencode` encodes a dict.
pub(crate) fn form_body(post: &[String], known: &dyn Fn(&str) -> Option<String>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut pairs = Vec::new();
    for key in post {
        if seen.contains(&key.as_str()) {
            continue;
        }
        seen.push(key);
        let value = known(key).unwrap_or_else(|| "N/A".to_string());
        pairs.push(format!("{}={}", quote_plus(key), quote_plus(&value)));
    }
    pairs.join("&")
}

/// Python's `urllib.parse.quote_plus`: unreserved bytes stay, space becomes `+`, the
/// rest is percent-encoded.
pub(crate) fn quote_plus(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The NoCloud seed URL a kernel command line (or boot loader configuration) gives with
/// `ds=nocloud;s=URL` (also `nocloud-net`, and `seedfrom=` for `s=`); `;` may be escaped
/// as `\;` (GRUB). Only http and https seeds.
pub(crate) fn seed_url(text: &str) -> Option<String> {
    for word in text
        .split(|character: char| character.is_whitespace() || character == '"' || character == '\'')
    {
        let word = word.replace("\\;", ";");
        let Some(rest) = word
            .strip_prefix("ds=nocloud-net")
            .or_else(|| word.strip_prefix("ds=nocloud"))
        else {
            continue;
        };
        for part in rest.split(';') {
            let value = part
                .strip_prefix("s=")
                .or_else(|| part.strip_prefix("seedfrom="));
            if let Some(url) = value
                && (url.starts_with("http://") || url.starts_with("https://"))
            {
                return Some(url.to_string());
            }
        }
    }
    None
}

/// The URL of `file` (`user-data`, `meta-data`) under a seed, as cloud-init's
/// `read_seeded` makes it: `%s` replaced when the seed has it, else appended.
pub(crate) fn seed_file_url(seed: &str, file: &str) -> String {
    if seed.contains("%s") {
        seed.replace("%s", file)
    } else {
        format!("{seed}{file}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `phone_home` should give: `(url, post, tries)`, or part of the error.
    type Expected<'a> = Result<Option<(&'a str, &'a [&'a str], u32)>, &'a str>;

    #[track_caller]
    fn check_phone_home(user_data: &str, expected: Expected<'_>) {
        let got = phone_home(user_data);
        let expected = expected
            .map(|found| {
                found.map(|(url, post, tries)| PhoneHome {
                    url: url.to_string(),
                    post: post.iter().map(|key| key.to_string()).collect(),
                    tries,
                })
            })
            .map_err(str::to_string);
        match (&got, &expected) {
            (Err(got), Err(expected)) => assert!(got.contains(expected.as_str()), "{got}"),
            _ => assert_eq!(got, expected),
        }
    }

    #[test]
    fn phone_home_settings_are_read_as_cloud_init_reads_them() {
        // What aero-baremetal renders (the URL quoted as a JSON string).
        check_phone_home(
            "#cloud-config\nhostname: lon1-wk01\nphone_home:\n  url: \"http://10.23.1.5:8080/phone-home/lon1-wk01/tok\"\n  post:\n    - instance_id\n    - hostname\n    - pub_key_rsa\n    - pub_key_ecdsa\n    - pub_key_ed25519\n  tries: 10\n",
            Ok(Some((
                "http://10.23.1.5:8080/phone-home/lon1-wk01/tok",
                &[
                    "instance_id",
                    "hostname",
                    "pub_key_rsa",
                    "pub_key_ecdsa",
                    "pub_key_ed25519",
                ],
                10,
            ))),
        );
        // `post` missing or `all`: POST_LIST_ALL; `tries` missing or not an integer: 10.
        check_phone_home(
            "#cloud-config\nphone_home: {url: 'http://h/$INSTANCE_ID/'}\n",
            Ok(Some(("http://h/$INSTANCE_ID/", &POST_LIST_ALL, 10))),
        );
        check_phone_home(
            "#cloud-config\nphone_home: {url: http://h/, post: all, tries: many}\n",
            Ok(Some(("http://h/", &POST_LIST_ALL, 10))),
        );
        // Python's int(): strings of digits, floats truncated; at least one attempt.
        check_phone_home(
            "#cloud-config\nphone_home: {url: http://h/, post: [fqdn], tries: '3'}\n",
            Ok(Some(("http://h/", &["fqdn"], 3))),
        );
        check_phone_home(
            "#cloud-config\nphone_home: {url: http://h/, post: [fqdn], tries: 2.9}\n",
            Ok(Some(("http://h/", &["fqdn"], 2))),
        );
        check_phone_home(
            "#cloud-config\nphone_home: {url: http://h/, post: [fqdn], tries: 0}\n",
            Ok(Some(("http://h/", &["fqdn"], 1))),
        );
        // No phone_home, or one without a url: nothing to post.
        check_phone_home("#cloud-config\nhostname: a\n", Ok(None));
        check_phone_home("#cloud-config\nphone_home: {post: all}\n", Ok(None));
        check_phone_home("#cloud-config\n", Ok(None));
        // Not cloud-config, not YAML, not a mapping.
        check_phone_home("#!/bin/sh\necho hi\n", Err("not a #cloud-config"));
        check_phone_home("#cloud-config\nphone_home: [\n", Err("not YAML"));
        check_phone_home("#cloud-config\n- a\n", Err("not a YAML mapping"));
        check_phone_home("#cloud-config\nphone_home: 5\n", Err("not a mapping"));
        check_phone_home(
            "#cloud-config\nphone_home: {url: u, post: 5}\n",
            Err("neither"),
        );
    }

    #[test]
    fn identity_follows_the_nocloud_datasource() {
        let id = identity(
            "#cloud-config\n",
            "instance-id: lon1-wk01-0a1b\nlocal-hostname: lon1-wk01\n",
            "x",
        )
        .unwrap();
        assert_eq!(
            id,
            Identity {
                instance_id: "lon1-wk01-0a1b".into(),
                hostname: "lon1-wk01".into(),
                fqdn: "lon1-wk01".into(),
            }
        );
        let id = identity(
            "",
            "instance-id: i\nlocal-hostname: n1.lon1.example.net\n",
            "x",
        )
        .unwrap();
        assert_eq!(
            (id.hostname.as_str(), id.fqdn.as_str()),
            ("n1", "n1.lon1.example.net")
        );
        let id = identity("", "instance-id: i\nlocal-hostname: n1.localdomain\n", "x").unwrap();
        assert_eq!((id.hostname.as_str(), id.fqdn.as_str()), ("n1", "n1"));
        let id = identity("", "instance-id: i\nlocal-hostname: 10.0.0.5\n", "x").unwrap();
        assert_eq!(id.hostname, "ip-10-0-0-5");
        let id = identity("#cloud-config\nfqdn: a.b.c\n", "instance-id: i\n", "x").unwrap();
        assert_eq!((id.hostname.as_str(), id.fqdn.as_str()), ("a", "a.b.c"));
        let id = identity("#cloud-config\n", "instance-id: i\n", "node-9").unwrap();
        assert_eq!(id.hostname, "node-9");
        assert!(identity("", "local-hostname: a\n", "x").is_err());
        assert!(identity("", "[", "x").is_err());
    }

    #[test]
    fn the_form_is_what_cloud_init_posts() {
        let post: Vec<String> = [
            "instance_id",
            "hostname",
            "pub_key_rsa",
            "hostname",
            "pub_key_ed25519",
        ]
        .iter()
        .map(|key| key.to_string())
        .collect();
        let known = |key: &str| match key {
            "instance_id" => Some("lon1-wk01-0a1b".to_string()),
            "hostname" => Some("lon1-wk01".to_string()),
            "pub_key_ed25519" => Some("ssh-ed25519 AAAA+/= root@lon1-wk01\n".to_string()),
            _ => None,
        };
        assert_eq!(
            form_body(&post, &known),
            "instance_id=lon1-wk01-0a1b&hostname=lon1-wk01&pub_key_rsa=N%2FA&pub_key_ed25519=ssh-ed25519+AAAA%2B%2F%3D+root%40lon1-wk01%0A"
        );
        let phone_home = PhoneHome {
            url: "http://h/$INSTANCE_ID/${INSTANCE_ID}".into(),
            post: vec![],
            tries: 1,
        };
        let identity = Identity {
            instance_id: "i-1".into(),
            hostname: "h".into(),
            fqdn: "h".into(),
        };
        assert_eq!(url_for(&phone_home, &identity), "http://h/i-1/i-1");
    }

    #[test]
    fn seed_urls_come_from_kernel_command_lines() {
        assert_eq!(
            seed_url(
                "linux /casper/vmlinuz autoinstall ds=nocloud-net\\;s=http://10.0.0.1:8080/seed/n1/ ---"
            ),
            Some("http://10.0.0.1:8080/seed/n1/".to_string())
        );
        assert_eq!(
            seed_url("APPEND initrd=x 'ds=nocloud;seedfrom=https://h/s/%s'"),
            Some("https://h/s/%s".to_string())
        );
        assert_eq!(seed_url("ds=nocloud;s=file:///cdrom/nocloud/"), None);
        assert_eq!(seed_url("quiet splash"), None);
        assert_eq!(
            seed_file_url("https://h/s/%s", "user-data"),
            "https://h/s/user-data"
        );
        assert_eq!(
            seed_file_url("http://h/seed/", "meta-data"),
            "http://h/seed/meta-data"
        );
    }
}
