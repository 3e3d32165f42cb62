//! `trawl keys`: create, list and revoke API keys, and where the
//! configuration and keys files are.

use std::path::PathBuf;

use anyhow::{Context, Result};
use trawl_web::{auth, config::Config};

use crate::cli::{ConfigArgs, KeysCommand};

/// The configuration file, and whether it must exist (it must when named).
pub(crate) fn config_path(args: &ConfigArgs) -> (PathBuf, bool) {
    crate::args::config_path(args.config.as_deref())
}

/// The keys file: the flag, else `[auth] keys_file`, else `keys.json` beside the configuration.
pub(crate) fn keys_file(args: &ConfigArgs, config: &Config) -> PathBuf {
    if let Some(p) = &args.keys_file {
        return p.clone();
    }
    if let Some(p) = &config.auth.keys_file {
        return p.clone();
    }
    let (config_path, _) = config_path(args);
    config_path
        .parent()
        .map_or_else(|| PathBuf::from("keys.json"), |d| d.join("keys.json"))
}

fn keys_path(args: &ConfigArgs) -> Result<PathBuf> {
    let (path, required) = config_path(args);
    let config = Config::load(&path, required)?;
    Ok(keys_file(args, &config))
}

pub(crate) fn run(cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Create {
            name,
            groups,
            admin,
            config,
            json,
        } => {
            let path = keys_path(&config)?;
            let groups: Vec<String> = groups
                .iter()
                .map(|g| g.trim().to_owned())
                .filter(|g| !g.is_empty())
                .collect();
            let key = auth::create_key(&path, &name, &groups, admin)
                .with_context(|| format!("creating a key in {}", path.display()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "key": key.secret,
                        "id": key.stored.id,
                        "name": key.stored.name,
                        "groups": key.stored.groups,
                        "admin": key.stored.admin,
                        "keys_file": path,
                    }))?
                );
            } else {
                println!("{}", key.secret);
                eprintln!(
                    "Created key {} for {:?} (groups: {}{}) in {}.\nThe key above is shown only now; only its SHA-256 is stored.",
                    key.stored.id,
                    key.stored.name,
                    if groups.is_empty() {
                        "none".to_owned()
                    } else {
                        groups.join(",")
                    },
                    if admin { "; admin" } else { "" },
                    path.display()
                );
            }
        }
        KeysCommand::List { config, json } => {
            let path = keys_path(&config)?;
            let keys = auth::list_keys(&path)?;
            if json {
                let list: Vec<_> = keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({"id": k.id, "name": k.name, "groups": k.groups, "admin": k.admin, "created": k.created})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if keys.is_empty() {
                println!("No keys in {}.", path.display());
            } else {
                for k in keys {
                    println!(
                        "{}  {:<20} groups={}{}",
                        k.id,
                        k.name,
                        k.groups.join(","),
                        if k.admin { " admin" } else { "" }
                    );
                }
            }
        }
        KeysCommand::Revoke { key, config } => {
            let path = keys_path(&config)?;
            let k = auth::revoke_key(&path, &key)?;
            println!("Revoked key {} ({}).", k.id, k.name);
        }
    }
    Ok(())
}
