//! pilah as a packaged systemd service: the unit's sandbox (systemd-analyze), the `.deb`'s
//! contents as `[package.metadata.deb]` in Cargo.toml declares them, against the files in
//! this repository and against docs/operations.md, and the commented default config it ships.
//!
//! Building the real `.deb` needs cargo-deb (five minutes to install on two cores) and a
//! release build (three more): too slow for every `cargo test`. `scripts/package.sh` builds
//! it, and the ignored test `deb_unpacks_where_the_docs_say` checks it:
//! `cargo test --test package -- --ignored`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

// ---- systemd-analyze ------------------------------------------------------------------------

/// The path of systemd-analyze, installed by scripts/install-test-tools.sh when missing; `None`
/// (and the reason on stderr) when it cannot be installed on this machine.
fn systemd_analyze() -> Option<PathBuf> {
    let o = Command::new("bash")
        .arg(repo().join("scripts/install-test-tools.sh"))
        .output()
        .expect("run scripts/install-test-tools.sh");
    match o.status.code() {
        Some(0) => Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        Some(3) => {
            eprintln!(
                "SKIPPED: systemd-analyze cannot be installed here:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        _ => panic!(
            "scripts/install-test-tools.sh failed to install systemd-analyze:\n{}",
            text(&o)
        ),
    }
}

/// The unit's `Key=value` settings, in order, comments and section headers left out.
fn unit_settings() -> Vec<(String, String)> {
    read("systemd/pilah.service")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .filter(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn unit_values(key: &str) -> Vec<String> {
    unit_settings()
        .into_iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn unit_is_what_the_service_needs() {
    let one = |key: &str| {
        let v = unit_values(key);
        assert_eq!(
            v.len(),
            1,
            "{key}= should be set once in the unit, got {v:?}"
        );
        v[0].clone()
    };
    assert_eq!(one("Type"), "notify");
    assert_eq!(one("NotifyAccess"), "main");
    assert!(!one("WatchdogSec").is_empty());
    assert_eq!(
        one("ExecStart"),
        "/usr/bin/pilah run --config /etc/pilah/pilah.toml"
    );
    assert_eq!(one("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert_eq!(one("DynamicUser"), "yes");
    assert_eq!(one("StateDirectory"), "pilah");
    assert_eq!(one("ConfigurationDirectory"), "pilah");
    let creds = unit_values("LoadCredential");
    for c in [
        "lapor:/etc/pilah/credentials/lapor",
        "callcenter:/etc/pilah/credentials/callcenter",
    ] {
        assert!(creds.iter().any(|x| x == c), "LoadCredential={c} missing");
    }
    // The mail servers are wherever the ministry runs them; journald and sd_notify are unix
    // sockets; the metrics listener binds a loopback port.
    let families = one("RestrictAddressFamilies");
    for f in ["AF_INET", "AF_INET6", "AF_UNIX"] {
        assert!(
            families.split_whitespace().any(|x| x == f),
            "RestrictAddressFamilies= must allow {f}: {families}"
        );
    }
    assert!(
        !families.starts_with('~'),
        "RestrictAddressFamilies= is an allow list"
    );
    assert!(
        unit_values("PrivateNetwork").iter().all(|v| v == "no"),
        "PrivateNetwork= would cut pilah off from the mail servers"
    );
    let deny = unit_values("IPAddressDeny");
    let allow = unit_values("IPAddressAllow");
    assert!(
        deny.is_empty() || allow.iter().any(|a| a == "any"),
        "IPAddressDeny= must not block the mail servers: {deny:?} / allow {allow:?}"
    );
    assert!(
        unit_values("SocketBindDeny").is_empty(),
        "the metrics listener must be able to bind"
    );
    let filters = unit_values("SystemCallFilter");
    assert_eq!(
        filters.first().map(String::as_str),
        Some("@system-service"),
        "SystemCallFilter= starts from @system-service: {filters:?}"
    );
    // Read-only system, writable state only.
    assert_eq!(one("ProtectSystem"), "strict");
    assert!(
        unit_values("ReadWritePaths").is_empty(),
        "StateDirectory= is the only writable place"
    );
}

#[test]
fn unit_rates_safe_in_systemd_analyze_security() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    let unit = repo().join("systemd/pilah.service");
    let o = Command::new(&analyze)
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .expect("run systemd-analyze security");
    let out = text(&o);
    assert!(
        o.status.success(),
        "systemd-analyze security failed:\n{out}"
    );
    // Warnings about the unit (unknown keys, bad values) would make the rating meaningless.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.trim().is_empty(),
        "systemd-analyze complains about the unit:\n{stderr}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("Overall exposure level for pilah.service:"))
        .unwrap_or_else(|| panic!("no 'Overall exposure level' line in:\n{out}"));
    let level: f64 = line
        .rsplit_once(':')
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the exposure level from {line:?}"));
    eprintln!("{}", line.trim());
    assert!(
        level < 2.0,
        "exposure level {level} is not below 2.0; what counts against it:\n{}",
        out.lines()
            .filter(|l| l.starts_with('✗'))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    // verify checks that ExecStart= exists: point it at the binary this test suite built.
    let dir = tempfile::tempdir().unwrap();
    let unit = read("systemd/pilah.service").replace(
        "/usr/bin/pilah ",
        &format!("{} ", env!("CARGO_BIN_EXE_pilah")),
    );
    let path = dir.path().join("pilah.service");
    std::fs::write(&path, unit).unwrap();
    let o = Command::new(&analyze)
        .args(["verify", "--no-pager"])
        .arg(&path)
        .output()
        .expect("run systemd-analyze verify");
    let out = text(&o);
    assert!(
        o.status.success() && out.trim().is_empty(),
        "systemd-analyze verify:\n{out}"
    );
}

// ---- [package.metadata.deb] -----------------------------------------------------------------

struct Asset {
    source: String,
    dest: String,
    mode: String,
}

fn assets() -> Vec<Asset> {
    let manifest: toml::Table = toml::from_str(&read("Cargo.toml")).expect("Cargo.toml parses");
    let list = manifest
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("deb"))
        .and_then(|d| d.get("assets"))
        .and_then(|a| a.as_array())
        .expect("[package.metadata.deb] assets in Cargo.toml");
    list.iter()
        .map(|a| {
            let a = a.as_array().expect("each asset is [source, dest, mode]");
            let s = |i: usize| a[i].as_str().expect("asset fields are strings").to_string();
            assert_eq!(a.len(), 3, "asset [source, dest, mode]: {a:?}");
            Asset {
                source: s(0),
                dest: s(1),
                mode: s(2),
            }
        })
        .collect()
}

/// The files a source pattern names; `*` only in the last path component, as cargo-deb's
/// glob would match them here.
fn expand(source: &str) -> Vec<String> {
    let (dir, pattern) = source.rsplit_once('/').unwrap_or(("", source));
    assert!(!dir.contains('*'), "wildcards only in file names: {source}");
    let Some((prefix, suffix)) = pattern.split_once('*') else {
        return vec![source.to_string()];
    };
    assert!(!suffix.contains('*'), "one wildcard per pattern: {source}");
    let mut out: Vec<String> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("{source}: {e}"))
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with(prefix) && n.ends_with(suffix) && n.len() >= prefix.len() + suffix.len()
        })
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

/// Every file of the package: (source in the repository, absolute destination, mode).
fn package_files() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for a in assets() {
        assert!(
            !a.dest.starts_with('/'),
            "cargo-deb destinations are relative to /: {}",
            a.dest
        );
        if a.source.starts_with("target/release/") {
            let name = a.source.trim_start_matches("target/release/");
            assert_eq!(name, "pilah", "the only binary is pilah: {}", a.source);
            let dest = if a.dest.ends_with('/') {
                format!("/{}{name}", a.dest)
            } else {
                format!("/{}", a.dest)
            };
            out.push((a.source.clone(), dest, a.mode.clone()));
            continue;
        }
        let files = expand(&a.source);
        assert!(!files.is_empty(), "asset {} matches no file", a.source);
        for f in files {
            assert!(repo().join(&f).is_file(), "asset source {f} does not exist");
            let dest = if a.dest.ends_with('/') {
                format!("/{}{}", a.dest, f.rsplit('/').next().unwrap())
            } else {
                format!("/{}", a.dest)
            };
            out.push((f, dest, a.mode.clone()));
        }
    }
    out
}

/// Where the package puts the rules' fixtures (`pilah rules test` finds them there).
const FIXTURES: &str = "/usr/share/pilah/fixtures/";

/// The "Install" section of docs/operations.md, up to the next `## ` heading.
fn install_section() -> String {
    let ops = read("docs/operations.md");
    let start = ops
        .find("\n## Install")
        .expect("docs/operations.md has an '## Install' section");
    let rest = &ops[start + 1..];
    let end = rest[3..].find("\n## ").map(|i| i + 3).unwrap_or(rest.len());
    rest[..end].to_string()
}

#[test]
fn deb_assets_exist_and_land_where_the_docs_say() {
    let files = package_files();
    let docs = install_section();
    let mut dests = BTreeSet::new();
    for (source, dest, mode) in &files {
        assert!(dests.insert(dest.clone()), "two assets install {dest}");
        let expected_mode = if dest == "/usr/bin/pilah" {
            "755"
        } else {
            "644"
        };
        assert_eq!(mode, expected_mode, "mode of {dest} (from {source})");
        // Documented: the file itself, or its directory with a trailing slash.
        let dir = format!("{}/", dest.rsplit_once('/').unwrap().0);
        // The fixtures, a tree of directories, are documented as one.
        let fixtures = dest.starts_with(FIXTURES) && docs.contains(&format!("`{FIXTURES}`"));
        assert!(
            fixtures || docs.contains(&format!("`{dest}`")) || docs.contains(&format!("`{dir}`")),
            "{dest} (from {source}) is not in the Install section of docs/operations.md \
             (neither `{dest}` nor `{dir}`)"
        );
    }
    for must in [
        "/usr/bin/pilah",
        "/lib/systemd/system/pilah.service",
        "/etc/pilah/pilah.toml",
        "/etc/pilah/rules/units.toml",
        "/etc/pilah/rules/regions.csv",
        "/etc/pilah/rules/templates/ack-lapor.txt",
        "/usr/share/doc/pilah/README.md",
        "/usr/share/doc/pilah/operations.md",
        "/usr/share/doc/pilah/configuration.md",
        "/usr/share/doc/pilah/rules.md",
        "/usr/share/doc/pilah/agents.md",
        "/usr/share/pilah/fixtures/fixtures.toml",
    ] {
        assert!(dests.contains(must), "the package lacks {must}");
    }
    // Nothing outside the binary, the unit, /etc/pilah and the docs: the state directory
    // is systemd's (StateDirectory=), the user too (DynamicUser=).
    for d in &dests {
        assert!(
            d == "/usr/bin/pilah"
                || d == "/lib/systemd/system/pilah.service"
                || d.starts_with("/etc/pilah/")
                || d.starts_with("/usr/share/doc/pilah/")
                || d.starts_with(FIXTURES),
            "unexpected file in the package: {d}"
        );
    }
}

#[test]
fn deb_ships_every_rules_file_and_every_doc() {
    let shipped: BTreeSet<String> = package_files().into_iter().map(|(s, _, _)| s).collect();
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{rel}/{name}");
            if e.path().is_dir() {
                walk(&e.path(), &rel, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut wanted = Vec::new();
    walk(&repo().join("rules"), "rules", &mut wanted);
    walk(&repo().join("docs"), "docs", &mut wanted);
    walk(
        &repo().join("tests/fixtures/rules"),
        "tests/fixtures/rules",
        &mut wanted,
    );
    wanted.push("README.md".into());
    wanted.push("systemd/pilah.service".into());
    wanted.push("packaging/pilah.toml".into());
    for w in wanted {
        assert!(
            shipped.contains(&w),
            "{w} is not in [package.metadata.deb] assets"
        );
    }
}

#[test]
fn unit_config_and_package_agree_on_paths() {
    let dests: BTreeSet<String> = package_files().into_iter().map(|(_, d, _)| d).collect();
    // The unit runs the packaged binary with the packaged config.
    let exec = unit_values("ExecStart").join(" ");
    let mut words = exec.split_whitespace();
    let bin = words.next().unwrap();
    assert!(
        dests.contains(bin),
        "ExecStart= runs {bin}, not in the package"
    );
    let config = exec
        .split_once("--config ")
        .map(|(_, c)| c.split_whitespace().next().unwrap())
        .unwrap();
    assert!(
        dests.contains(config),
        "ExecStart= reads {config}, not in the package"
    );
    // Documentation= points at files the package installs.
    for d in unit_values("Documentation")
        .iter()
        .flat_map(|v| v.split_whitespace())
    {
        let path = d
            .strip_prefix("file://")
            .unwrap_or_else(|| panic!("Documentation={d}"));
        assert!(
            dests.contains(path),
            "Documentation={d} is not in the package"
        );
    }
    // The config's directories are the unit's.
    let cfg: toml::Table = toml::from_str(&read("packaging/pilah.toml")).unwrap();
    let state = unit_values("StateDirectory").join("");
    assert_eq!(
        cfg["state_dir"].as_str(),
        Some(format!("/var/lib/{state}").as_str())
    );
    let rules_dir = cfg["rules_dir"].as_str().unwrap();
    let conf = unit_values("ConfigurationDirectory").join("");
    assert!(rules_dir.starts_with(&format!("/etc/{conf}/")));
    assert!(dests.contains(&format!("{rules_dir}/units.toml")));
    // Every password is a credential that the unit loads, or that the config's comment tells
    // the admin to add (smtp).
    let creds: Vec<String> = unit_values("LoadCredential")
        .iter()
        .map(|c| c.split(':').next().unwrap().to_string())
        .collect();
    for m in cfg["mailbox"].as_array().unwrap() {
        let c = m["password_credential"].as_str().unwrap();
        assert!(
            creds.iter().any(|x| x == c),
            "no LoadCredential={c}:… in the unit"
        );
    }
}

// ---- the default config ---------------------------------------------------------------------

/// Runs `pilah run --once` on packaging/pilah.toml, moved into a scratch root: the config's
/// /etc/pilah and /var/lib/pilah become directories under `root`, the servers 127.0.0.1.
/// With `fill`, every optional `#key = value` line (and `#[table]`) is uncommented first.
fn run_packaged_config(fill: bool, root: &Path) -> Output {
    let etc = root.join("etc/pilah");
    let creds = root.join("credentials");
    std::fs::create_dir_all(etc.join("rules/templates")).unwrap();
    std::fs::create_dir_all(&creds).unwrap();
    for dir in ["", "templates"] {
        for e in std::fs::read_dir(repo().join("rules").join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, etc.join("rules").join(dir).join(p.file_name().unwrap()))
                    .unwrap();
            }
        }
    }
    for c in ["lapor", "callcenter", "smtp"] {
        std::fs::write(creds.join(c), "not-the-real-password\n").unwrap();
    }
    // What the optional settings name: a holidays file, an extra CA.
    std::fs::write(etc.join("holidays.txt"), "2026-12-25 Hari Raya Natal\n").unwrap();
    let ca = ["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"]
        .iter()
        .find(|p| Path::new(p).is_file())
        .map(|p| std::fs::read(p).unwrap());
    std::fs::write(etc.join("ca.pem"), ca.unwrap_or_default()).unwrap();

    let mut text = read("packaging/pilah.toml");
    if fill {
        text = text
            .lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '[') => {
                    rest.to_string()
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    let text = text
        .replace("\"/etc/pilah/", &format!("\"{}/", etc.display()))
        .replace("\"/etc/pilah\"", &format!("\"{}\"", etc.display()))
        .replace(
            "\"/var/lib/pilah\"",
            &format!("\"{}\"", root.join("state").display()),
        )
        .replace("\"imap.kemenkeu.go.id\"", "\"127.0.0.1\"")
        .replace("\"smtp.kemenkeu.go.id\"", "\"127.0.0.1\"");
    let config = etc.join("pilah.toml");
    std::fs::write(&config, &text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_pilah"))
        .args(["run", "--once", "--no-send", "--config"])
        .arg(&config)
        .env("CREDENTIALS_DIRECTORY", &creds)
        .env("NO_COLOR", "1")
        .env_remove("JOURNAL_STREAM")
        .output()
        .expect("run pilah")
}

fn assert_fails_only_on_the_connection(o: &Output, what: &str) {
    let out = text(o);
    assert!(
        !out.contains("invalid configuration") && !out.contains("cannot read the secret"),
        "{what}: the config is refused:\n{out}"
    );
    assert_eq!(o.status.code(), Some(2), "{what}: exit code\n{out}");
    assert!(
        out.contains("2 of 2 mailboxes could not be drained") && out.contains("127.0.0.1"),
        "{what}: expected both mailboxes to fail on the connection:\n{out}"
    );
}

#[test]
fn packaged_config_parses_as_shipped() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_packaged_config(false, dir.path());
    assert_fails_only_on_the_connection(&o, "packaging/pilah.toml as shipped");
}

#[test]
fn packaged_config_parses_with_every_optional_setting() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_packaged_config(true, dir.path());
    assert_fails_only_on_the_connection(&o, "packaging/pilah.toml with every #key uncommented");
}

#[test]
fn packaged_config_comments_every_key() {
    // Every setting, active or commented out, has a comment line of its own above it (or
    // shares the one above a group of settings) where it first appears, and passwords are
    // credentials only.
    let text = read("packaging/pilah.toml");
    let lines: Vec<&str> = text.lines().collect();
    let mut explained = BTreeSet::new();
    for (i, l) in lines.iter().enumerate() {
        let setting = l.trim_start_matches('#');
        let is_setting = setting
            .split_once(" = ")
            .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        if !is_setting || l.starts_with("# ") {
            continue;
        }
        let key = setting.split_once(" = ").unwrap().0;
        assert!(
            !key.starts_with("password_") || key == "password_credential",
            "line {}: {key}: the packaged config uses password_credential only",
            i + 1
        );
        // The second [[mailbox]] repeats keys the first one explains.
        if !explained.insert(key.to_string()) {
            continue;
        }
        // Walk up over the settings of the same group to the comment that explains them.
        let mut j = i;
        while j > 0 {
            j -= 1;
            let above = lines[j];
            if above.starts_with("# ") {
                break;
            }
            assert!(
                !above.trim().is_empty() && !above.starts_with('['),
                "line {}: {key} has no comment above it",
                i + 1
            );
        }
    }
}

// ---- the real .deb (slow: `cargo test --test package -- --ignored`) --------------------------

#[test]
#[ignore = "builds the release binary and the .deb (and installs cargo-deb the first time): minutes"]
fn deb_unpacks_where_the_docs_say() {
    let o = Command::new("bash")
        .arg(repo().join("scripts/package.sh"))
        .output()
        .expect("run scripts/package.sh");
    assert!(
        o.status.success(),
        "scripts/package.sh failed:\n{}",
        text(&o)
    );
    let deb = repo().join(String::from_utf8_lossy(&o.stdout).trim());
    assert!(deb.is_file(), "no .deb at {}", deb.display());

    let root = tempfile::tempdir().unwrap();
    let x = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(root.path())
        .output()
        .expect("run dpkg-deb -x");
    assert!(x.status.success(), "dpkg-deb -x:\n{}", text(&x));

    // Exactly the files Cargo.toml declares (and the copyright file cargo-deb writes), each
    // where the docs say.
    let expected: BTreeSet<String> = package_files().into_iter().map(|(_, d, _)| d).collect();
    let mut found = BTreeSet::new();
    fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.insert(format!("/{}", p.strip_prefix(base).unwrap().display()));
            }
        }
    }
    walk(root.path(), root.path(), &mut found);
    found.remove("/usr/share/doc/pilah/copyright");
    assert_eq!(found, expected, "the .deb's files");
    for (source, dest, _) in package_files() {
        if source.starts_with("target/") {
            continue;
        }
        assert_eq!(
            std::fs::read(root.path().join(&dest[1..])).unwrap(),
            std::fs::read(repo().join(&source)).unwrap(),
            "{dest} differs from {source}"
        );
    }

    // conffiles: everything under /etc; no maintainer scripts.
    let ctl = tempfile::tempdir().unwrap();
    let c = Command::new("dpkg-deb")
        .arg("-e")
        .arg(&deb)
        .arg(ctl.path())
        .output()
        .expect("run dpkg-deb -e");
    assert!(c.status.success(), "dpkg-deb -e:\n{}", text(&c));
    let conffiles: BTreeSet<String> = std::fs::read_to_string(ctl.path().join("conffiles"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let etc: BTreeSet<String> = expected
        .iter()
        .filter(|d| d.starts_with("/etc/"))
        .cloned()
        .collect();
    assert_eq!(conffiles, etc, "conffiles");
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        assert!(
            !ctl.path().join(script).exists(),
            "the package has a {script}: it should create nothing by hand"
        );
    }

    // The packaged binary runs, and `rules test` finds the packaged fixtures beside it.
    let v = Command::new(root.path().join("usr/bin/pilah"))
        .arg("--version")
        .output()
        .expect("run the packaged pilah");
    assert!(
        v.status.success() && text(&v).starts_with("pilah "),
        "{}",
        text(&v)
    );
    let t = Command::new(root.path().join("usr/bin/pilah"))
        .args(["rules", "test", "--rules"])
        .arg(root.path().join("etc/pilah/rules"))
        .current_dir(root.path())
        .output()
        .expect("run the packaged pilah");
    assert!(
        t.status.success() && text(&t).contains("(the package's)"),
        "{}",
        text(&t)
    );
}
