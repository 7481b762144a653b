//! `aero secrets`: generate, encrypt, decrypt, rekey, check and import a site's secrets.
//!
//! Every subcommand that writes builds its whole change in memory first, then writes all
//! files at once (`--dry-run` stops before writing). Output lists documents by schema and
//! name only; secret values are never printed.
//!
//! Keys: `--identity FILE` (repeatable), else `AERO_AGE_IDENTITY` (key text), else
//! `AERO_AGE_IDENTITY_FILE`; for the example sites only, the repository's insecure demo
//! identity (`demo-keys/age-identity.txt`), with a warning. Recipients: `--recipients-file`,
//! else the site definition's `data.secrets.age_recipients`.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_docs::collect::RepoSpec;
use aero_secrets::SecretsError;
use aero_secrets::crypt::Scope;
use aero_secrets::expiry::{self, ExpiryOptions, ExpiryReport, Window};
use aero_secrets::keys::{self, Identities, Recipients};
use aero_secrets::passphrase::{self, PassphraseOptions};
use aero_secrets::pegleg::{self, ImportOptions, PeglegCredentials};
use aero_secrets::pki::{self, KeyAlgorithm, PkiOptions};
use aero_secrets::plan::ChangePlan;
use aero_secrets::site::LoadedSite;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::context::Context;
use crate::exit::{Failure, OrFail, output_failure};
use crate::format::{Table, write_stdout};

/// Arguments of `aero secrets`.
#[derive(Debug, Args)]
pub struct SecretsArgs {
    /// A manifests repository as NAME=PATH or PATH (repeatable; sites are looked up in
    /// all). Default: the `site-manifests` folder found in the working folder or above.
    #[arg(long = "repo", value_name = "NAME=PATH", global = true)]
    repos: Vec<String>,
    /// age identity file to decrypt with (repeatable). Default: $AERO_AGE_IDENTITY (key
    /// text), then $AERO_AGE_IDENTITY_FILE.
    #[arg(long = "identity", short = 'i', value_name = "FILE", global = true)]
    identities: Vec<PathBuf>,
    /// File of age recipients (age1..., one per line) to encrypt to, instead of the site
    /// definition's data.secrets.age_recipients.
    #[arg(long, value_name = "FILE", global = true)]
    recipients_file: Option<PathBuf>,
    #[command(subcommand)]
    command: SecretsCommand,
}

#[derive(Debug, Subcommand)]
enum SecretsCommand {
    /// Generate secrets from the site's catalogues.
    Generate {
        #[command(subcommand)]
        what: GenerateCommand,
    },
    /// List certificates that expire within a window (exit 1 if any).
    CheckExpiry {
        /// Site name.
        site: String,
        /// Window: a number and a unit (m, h, d, w), e.g. 30d.
        #[arg(long, default_value = "30d")]
        within: Window,
        /// Output format.
        #[arg(short, long, value_enum, default_value = "table")]
        output: ExpiryFormat,
    },
    /// Encrypt the site's `storagePolicy: encrypted` documents in place (idempotent).
    Encrypt(CryptArgs),
    /// Decrypt the site's encrypted documents in place.
    Decrypt(CryptArgs),
    /// Re-encrypt the site's encrypted documents for the current recipients.
    Rekey(CryptArgs),
    /// Convert Pegleg managed (Fernet-encrypted) documents to Aerostat's form.
    ///
    /// Reads PEGLEG_PASSPHRASE and PEGLEG_SALT. Converts the site's own files (under
    /// site/SITE/), or the files and folders given with --path.
    ImportPegleg {
        #[command(flatten)]
        write: WriteArgs,
        /// A file or folder to convert instead of the site's own files (repeatable).
        #[arg(long = "path", value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Create a new age identity file and print its public key.
    Keygen {
        /// Where to write the identity (mode 0600; never overwritten).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
        /// A comment line for the file's header.
        #[arg(long)]
        comment: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum GenerateCommand {
    /// Passphrases from the site's pegleg/PassphraseCatalog/v1 documents.
    Passphrases {
        #[command(flatten)]
        write: WriteArgs,
        /// Generate existing (regenerable) passphrases again.
        #[arg(long)]
        regenerate: bool,
    },
    /// CAs, certificates and key pairs from the site's promenade/PKICatalog/v1 documents.
    Pki {
        #[command(flatten)]
        write: WriteArgs,
        /// Generate everything again, CAs included.
        #[arg(long)]
        regenerate: bool,
        /// Validity of certificates, in days.
        #[arg(long, default_value_t = pki::DEFAULT_DAYS)]
        days: u32,
        /// Validity of certificate authorities, in days.
        #[arg(long, default_value_t = pki::DEFAULT_CA_DAYS)]
        ca_days: u32,
        /// Algorithm of new keys.
        #[arg(long, value_enum, default_value = "ecdsa-p256")]
        key_algorithm: KeyAlgorithmArg,
    },
}

/// The site and `--dry-run`, shared by every writing subcommand.
#[derive(Debug, Args)]
struct WriteArgs {
    /// Site name.
    site: String,
    /// Show what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Arguments of encrypt, decrypt and rekey.
#[derive(Debug, Args)]
struct CryptArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// Also rewrite the global/ and type/ files the site uses (shared with other sites:
    /// only when every site using them has the same recipients).
    #[arg(long)]
    include_shared: bool,
}

impl CryptArgs {
    fn scope(&self) -> Scope {
        if self.include_shared {
            Scope::WithShared
        } else {
            Scope::SiteOnly
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum KeyAlgorithmArg {
    /// ECDSA P-256.
    EcdsaP256,
    /// RSA 2048.
    Rsa2048,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ExpiryFormat {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
}

/// Runs `aero secrets`.
pub fn run(context: &Context, args: SecretsArgs) -> Result<ExitCode, Failure> {
    // Only the verbs that read a site need the repositories (keygen does not).
    let repos = || context.repos(&args.repos);
    let keys = KeyArgs {
        context,
        identities: args.identities,
        recipients_file: args.recipients_file,
    };
    match args.command {
        SecretsCommand::Generate { what } => match what {
            GenerateCommand::Passphrases { write, regenerate } => {
                let site = load(&repos()?, &write.site)?;
                let options = PassphraseOptions {
                    regenerate,
                    recipients: keys.recipients(&site)?,
                };
                let plan = passphrase::plan_passphrases(&site, &options).or_fail()?;
                finish(plan, write.dry_run)
            }
            GenerateCommand::Pki {
                write,
                regenerate,
                days,
                ca_days,
                key_algorithm,
            } => {
                let site = load(&repos()?, &write.site)?;
                let options = PkiOptions {
                    regenerate,
                    days,
                    ca_days,
                    key_algorithm: match key_algorithm {
                        KeyAlgorithmArg::EcdsaP256 => KeyAlgorithm::EcdsaP256,
                        KeyAlgorithmArg::Rsa2048 => KeyAlgorithm::Rsa2048,
                    },
                    recipients: keys.recipients(&site)?,
                    identities: keys.identities(&site)?,
                    ..PkiOptions::default()
                };
                let plan = pki::plan_pki(&site, &options).or_fail()?;
                finish(plan, write.dry_run)
            }
        },
        SecretsCommand::CheckExpiry {
            site,
            within,
            output,
        } => {
            let site = load(&repos()?, &site)?;
            let identities = keys.identities(&site)?;
            let options = ExpiryOptions {
                within: within.0,
                ..ExpiryOptions::default()
            };
            let report = expiry::check_expiry(&site, options, identities.as_ref()).or_fail()?;
            print_expiry(&report, output).map_err(output_failure)?;
            Ok(if report.expiring().next().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        SecretsCommand::Encrypt(crypt) => {
            let write = &crypt.write;
            let site = load(&repos()?, &write.site)?;
            let recipients = keys.recipients(&site)?.ok_or_else(|| {
                Failure::of(SecretsError::NoRecipients {
                    site: site.name.clone(),
                })
            })?;
            let plan =
                aero_secrets::crypt::plan_encrypt(&site, &recipients, crypt.scope()).or_fail()?;
            finish(plan, write.dry_run)
        }
        SecretsCommand::Decrypt(crypt) => {
            let write = &crypt.write;
            let site = load(&repos()?, &write.site)?;
            let identities = keys.required_identities(&site, "decrypt")?;
            let plan =
                aero_secrets::crypt::plan_decrypt(&site, &identities, crypt.scope()).or_fail()?;
            let wrote = !plan.is_empty() && !write.dry_run;
            let code = finish(plan, write.dry_run)?;
            if wrote {
                warn(
                    "secrets are now in clear in the working tree: encrypt them again before committing",
                );
            }
            Ok(code)
        }
        SecretsCommand::Rekey(crypt) => {
            let write = &crypt.write;
            let site = load(&repos()?, &write.site)?;
            let identities = keys.required_identities(&site, "rekey")?;
            let recipients = keys.recipients(&site)?.ok_or_else(|| {
                Failure::of(SecretsError::NoRecipients {
                    site: site.name.clone(),
                })
            })?;
            let plan =
                aero_secrets::crypt::plan_rekey(&site, &identities, &recipients, crypt.scope())
                    .or_fail()?;
            finish(plan, write.dry_run)
        }
        SecretsCommand::ImportPegleg { write, paths } => {
            let site = load(&repos()?, &write.site)?;
            let options = ImportOptions {
                credentials: PeglegCredentials::from_env().or_fail()?,
                recipients: keys.recipients(&site)?,
                paths,
            };
            if options.credentials.is_none() {
                warn(&format!(
                    "{} and {} are not set: only unencrypted managed documents can be imported",
                    pegleg::PASSPHRASE_ENV,
                    pegleg::SALT_ENV
                ));
            }
            let plan = pegleg::plan_import(&site, &options).or_fail()?;
            finish(plan, write.dry_run)
        }
        SecretsCommand::Keygen { output, comment } => {
            let mut header = vec!["age identity created by `aero secrets keygen`; keep it private"];
            if let Some(comment) = comment.as_deref() {
                header.push(comment);
            }
            let identity = keys::generate_identity(&header);
            keys::write_identity_file(&output, &identity).or_fail()?;
            write_stdout(&format!("{}\n", identity.public_key)).map_err(output_failure)?;
            eprintln!(
                "aero: wrote {}; list the public key above under data.secrets.age_recipients of the site definition",
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Key sources given on the command line.
struct KeyArgs<'a> {
    context: &'a Context,
    identities: Vec<PathBuf>,
    recipients_file: Option<PathBuf>,
}

impl KeyArgs<'_> {
    /// `--recipients-file`, else the site definition's recipients.
    fn recipients(&self, site: &LoadedSite) -> Result<Option<Recipients>, Failure> {
        let explicit = match &self.recipients_file {
            Some(path) => Some(Recipients::from_file(path).or_fail()?),
            None => None,
        };
        site.recipients(explicit.as_ref()).or_fail()
    }

    /// The identities of the one key policy (the site's repository may hold a demo key).
    fn identities(&self, site: &LoadedSite) -> Result<Option<Identities>, Failure> {
        let keys = self
            .context
            .keys(&self.identities, std::slice::from_ref(&site.site_repo.path))?;
        Ok(keys.identities().cloned())
    }

    fn required_identities(&self, site: &LoadedSite, what: &str) -> Result<Identities, Failure> {
        self.identities(site)?.ok_or_else(|| {
            Failure::of(SecretsError::NoIdentity {
                what: format!("`aero secrets {what}`"),
            })
        })
    }
}

fn load(repos: &[RepoSpec], site: &str) -> Result<LoadedSite, Failure> {
    LoadedSite::load(repos, site).or_fail()
}

fn warn(message: &str) {
    eprintln!("aero: warning: {message}");
}

/// Prints the plan, writes it unless `dry_run`, and reports what was done.
fn finish(plan: ChangePlan, dry_run: bool) -> Result<ExitCode, Failure> {
    for warning in &plan.warnings {
        warn(warning);
    }
    if !plan.items.is_empty() {
        let mut table = Table::new(&["DOCUMENT", "FILE", "ACTION"]);
        for item in &plan.items {
            table.row(vec![
                item.document.clone(),
                item.file.clone(),
                item.action.to_string(),
            ]);
        }
        write_stdout(&table.render()).map_err(output_failure)?;
    }
    let files = plan.writes.len();
    let summary = if files == 0 {
        "nothing to write".to_string()
    } else if dry_run {
        format!("dry run: would write {files} file(s)")
    } else {
        plan.apply()
            .map_err(|error| Failure::of(error).context("no file was changed"))?;
        format!("wrote {files} file(s)")
    };
    write_stdout(&format!("{summary}\n")).map_err(output_failure)?;
    Ok(ExitCode::SUCCESS)
}

fn print_expiry(report: &ExpiryReport, format: ExpiryFormat) -> std::io::Result<()> {
    for unreadable in &report.unreadable {
        warn(&format!(
            "{} ({}): {}",
            unreadable.document, unreadable.file, unreadable.reason
        ));
    }
    match format {
        ExpiryFormat::Json => {
            let entries: Vec<serde_json::Value> = report
                .entries
                .iter()
                .map(|entry| {
                    json!({
                        "document": entry.document,
                        "file": entry.file,
                        "line": entry.line,
                        "subject": entry.subject,
                        "not_after": entry.not_after_text,
                        "days_left": entry.days_left,
                        "expiring": entry.expiring,
                    })
                })
                .collect();
            let unreadable: Vec<serde_json::Value> = report
                .unreadable
                .iter()
                .map(|item| json!({"document": item.document, "file": item.file, "reason": item.reason}))
                .collect();
            let value = json!({"certificates": entries, "unreadable": unreadable});
            write_stdout(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
        }
        ExpiryFormat::Table => {
            let mut table =
                Table::new(&["DOCUMENT", "SUBJECT", "NOT AFTER", "DAYS LEFT", "STATUS"]);
            for entry in &report.entries {
                let status = if entry.days_left < 0 {
                    "EXPIRED"
                } else if entry.expiring {
                    "EXPIRING"
                } else {
                    "ok"
                };
                table.row(vec![
                    entry.document.clone(),
                    entry.subject.clone(),
                    entry.not_after_text.clone(),
                    entry.days_left.to_string(),
                    status.to_string(),
                ]);
            }
            write_stdout(&table.render())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Harness {
        #[command(flatten)]
        args: SecretsArgs,
    }

    #[test]
    fn flags_parse_in_any_position() {
        let parsed = Harness::try_parse_from([
            "aero",
            "encrypt",
            "lab",
            "--repo",
            "m=/tmp/m",
            "--identity",
            "a.txt",
            "--identity",
            "b.txt",
            "--dry-run",
        ])
        .unwrap();
        assert_eq!(parsed.args.repos, ["m=/tmp/m"]);
        assert_eq!(parsed.args.identities.len(), 2);
        assert!(matches!(
            parsed.args.command,
            SecretsCommand::Encrypt(CryptArgs {
                write: WriteArgs { dry_run: true, .. },
                include_shared: false
            })
        ));
        let defaults = Harness::try_parse_from(["aero", "check-expiry", "lab"]).unwrap();
        assert!(defaults.args.repos.is_empty(), "found by walking up");
        assert!(matches!(
            defaults.args.command,
            SecretsCommand::CheckExpiry { within, output: ExpiryFormat::Table, .. }
                if within == "30d".parse::<Window>().unwrap()
        ));
        assert!(
            Harness::try_parse_from(["aero", "check-expiry", "lab", "--within", "3y"]).is_err()
        );
        let pki = Harness::try_parse_from([
            "aero",
            "generate",
            "pki",
            "lab",
            "--days",
            "90",
            "--key-algorithm",
            "rsa2048",
        ])
        .unwrap();
        assert!(matches!(
            pki.args.command,
            SecretsCommand::Generate {
                what: GenerateCommand::Pki {
                    days: 90,
                    key_algorithm: KeyAlgorithmArg::Rsa2048,
                    ..
                }
            }
        ));
    }
}
