//! A Python interpreter with the packages of `tests/signers/requirements.txt`
//! (http-message-signatures, cryptography, requests): implementations that are not ours, to
//! sign requests to the server and verify what it signs.
//!
//! [`python`] returns `HYPERBANK_PYTHON` when it is set (CI sets it to the interpreter it
//! prepared), else a virtualenv in `target/pyenv`, made with `python3 -m venv` and
//! `pip install -r` the first time and again whenever the requirements change. One test
//! process builds it once (a `OnceLock`) and concurrent test processes take turns (a lock
//! file). If it cannot be built, the tests that need it fail: they never skip.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The interpreter to run the signers with.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| match std::env::var("HYPERBANK_PYTHON") {
            Ok(path) if !path.is_empty() => PathBuf::from(path),
            _ => virtualenv(),
        })
        .clone()
}

/// `target/pyenv`, with the requirements installed (a copy of them marks it ready).
fn virtualenv() -> PathBuf {
    let requirements = root().join("tests/signers/requirements.txt");
    let wanted = fs::read(&requirements)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", requirements.display()));
    let target = root().join("target");
    fs::create_dir_all(&target).unwrap_or_else(|e| panic!("cannot create target/: {e}"));
    let lock = File::create(target.join("pyenv.lock"))
        .unwrap_or_else(|e| panic!("cannot create target/pyenv.lock: {e}"));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock target/pyenv.lock: {e}"));
    let venv = target.join("pyenv");
    let interpreter = venv.join("bin/python");
    let stamp = venv.join("installed-requirements.txt");
    if fs::read(&stamp).is_ok_and(|installed| installed == wanted) && interpreter.exists() {
        return interpreter;
    }
    if venv.exists() {
        fs::remove_dir_all(&venv).unwrap_or_else(|e| panic!("cannot remove target/pyenv: {e}"));
    }
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    run(Command::new(&interpreter)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-r",
        ])
        .arg(&requirements));
    fs::write(&stamp, &wanted).unwrap_or_else(|e| panic!("cannot write the venv's stamp: {e}"));
    interpreter
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}), so the Python signers cannot run:\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `tests/signers/<script>` with `input` as its JSON standard input; its JSON output.
pub fn run_script(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let path = root().join("tests/signers").join(script);
    let mut child = Command::new(python())
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("cannot write to {script}: {e}"));
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
